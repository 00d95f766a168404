import { main } from "./cli";

/** The dev entry (`npm run agent -- <command>`, tests): the CLI from the TypeScript sources. */
void main(process.argv);
