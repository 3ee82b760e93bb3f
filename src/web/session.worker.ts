// A page's session worker: the coordinator thread of the page's engine, driven by the page over
// comlink (page-session.ts). It is a worker because the coordinator waits on the shared memory,
// which a page's main thread may not do.
import * as Comlink from "comlink";
import { PageSession } from "./page-session.js";

Comlink.expose(new PageSession(new URL(".", globalThis.location.href).href, globalThis.crossOriginIsolated === true));
