import { render } from "preact";
import { createApiClient } from "./api/api-client";
import { App } from "./ui/app";
import "./styles.css";

/**
 * The control center in the browser. Preact (3 kB, React's API) keeps the bundle small
 * enough to serve from a till-side LAN without a CDN; everything else is our own modules.
 */
const root = document.getElementById("app");
if (root) {
  root.textContent = "";
  render(<App api={createApiClient()} />, root);
}
