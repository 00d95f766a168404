import { StateConflictError } from "@tillsync/shared";
import type { PrismaClient } from "../generated/prisma/client";

/** The stores (shops) terminals belong to. */
export interface StoreRegistry {
  /** Creates a store; a taken id is a StateConflictError. */
  create(input: { id?: string; name: string }): Promise<{ id: string; name: string }>;
  exists(id: string): Promise<boolean>;
  /** Every store, by name. */
  list(): Promise<Array<{ id: string; name: string }>>;
}

export function storeRegistry(prisma: PrismaClient): StoreRegistry {
  return {
    async create(input) {
      try {
        const store = await prisma.store.create({ data: { ...(input.id ? { id: input.id } : {}), name: input.name } });
        return { id: store.id, name: store.name };
      } catch (err) {
        const code = (err as { code?: string }).code;
        // P2002 is Prisma's unique violation; 23505 PostgreSQL's, should the adapter pass it through.
        if (code === "P2002" || code === "23505") throw new StateConflictError(`store ${input.id} already exists`);
        throw err;
      }
    },
    async exists(id) {
      return (await prisma.store.findUnique({ where: { id } })) !== null;
    },
    async list() {
      const stores = await prisma.store.findMany({ orderBy: [{ name: "asc" }, { id: "asc" }] });
      return stores.map((s) => ({ id: s.id, name: s.name }));
    },
  };
}
