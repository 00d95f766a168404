-- AlterTable
ALTER TABLE "products" ADD COLUMN     "barcode" TEXT;
