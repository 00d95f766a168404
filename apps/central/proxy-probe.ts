import { ControllableProxy } from "@tillsync/testkit";
import http from "node:http";
(async () => {
  const srv = http.createServer((_q, s) => s.end("hi")).listen(0);
  await new Promise((r) => srv.once("listening", r));
  const p = new ControllableProxy((srv.address() as any).port);
  await p.listen();
  p.cut();
  try { const r = await fetch(p.url + "/ready"); console.log("status", r.status, await r.text()); } catch (e) { console.log("err", (e as Error).message); }
  await p.close(); srv.close();
})();
