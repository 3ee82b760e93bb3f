// Thread entry for a TrainingSession, exposed over comlink to the thread that started it.
import { parentPort } from "node:worker_threads";
import * as Comlink from "comlink";
import nodeEndpoint from "comlink/dist/esm/node-adapter.mjs";
import { TrainingSession } from "../src/run/session.js";

if (!parentPort) throw new Error("session.worker must run in a worker thread");
Comlink.expose(new TrainingSession(), nodeEndpoint(parentPort));
