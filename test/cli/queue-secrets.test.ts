// A Redis password never reaches the terminal, and need not be on the command line (where `ps`
// shows it): DPTRAIN_QUEUE and --queue-file carry it instead.
import { describe, expect, it } from "vitest";
import { redactUrl } from "../../src/queue/url.js";
import { fileWriter } from "../helpers.js";
import { runCli } from "./run-cli.js";

const { file } = fileWriter("dptrain-queue-secrets-");
const noQueueEnv = { DPTRAIN_QUEUE: "" };

describe("queue URLs and their passwords", () => {
  it("redactUrl hides what lies between the user name's ':' and the '@'", () => {
    expect(redactUrl("redis://:SECRET@127.0.0.1:1/99")).toBe("redis://:***@127.0.0.1:1/99");
    expect(redactUrl("redis://admin:p@ss:w@host:6379")).toBe("redis://admin:***@host:6379");
    expect(redactUrl("rediss://SECRET@host")).toBe("rediss://***@host");
    expect(redactUrl("redis//:SECRET@host")).not.toContain("SECRET");
    expect(redactUrl("redis://127.0.0.1:6379/2")).toBe("redis://127.0.0.1:6379/2");
  });

  it("a malformed URL carrying a password: exit 2, one line, the password hidden", async () => {
    for (const url of ["redis://:SECRET@127.0.0.1:1/99", "redis://user:SECRET@127.0.0.1:99999", "http://:SECRET@host:1"]) {
      const r = await runCli(["agent", "--queue", url], { env: noQueueEnv });
      expect(r.code, url).toBe(2);
      expect(r.stderr.trim().split("\n"), url).toHaveLength(1);
      expect(r.stderr + r.stdout, url).not.toContain("SECRET");
      expect(r.stderr, url).toContain(":***@");
    }
  });

  it("an unreachable Redis given by --queue, DPTRAIN_QUEUE or --queue-file: exit 2, the password never printed", async () => {
    const url = "redis://:SECRET@127.0.0.1:1/9";
    const urlFile = file("queue.url", `${url}\n`);
    for (const [args, env] of [[["agent", "--queue", url], noQueueEnv], [["agent"], { DPTRAIN_QUEUE: url }], [["agent", "--queue-file", urlFile], noQueueEnv]] as const) {
      const r = await runCli([...args], { env });
      expect(r.code, args.join(" ")).toBe(2);
      expect(r.stderr + r.stdout, args.join(" ")).not.toContain("SECRET");
      expect(r.stderr, args.join(" ")).toMatch(/cannot reach Redis at redis:\/\/127\.0\.0\.1:1\/9 /);
    }
  }, 60_000);

  it("no URL at all, or an empty --queue-file: one line saying where a URL may come from", async () => {
    const agent = await runCli(["agent"], { env: noQueueEnv });
    expect(agent.code).toBe(2);
    expect(agent.stderr.trim()).toBe("dptrain: agent: expected the queue's URL: --queue URL, --queue-file FILE, or DPTRAIN_QUEUE in the environment");
    const sweep = await runCli(["sweep", "-c", "configs/sweeps/softmax-lr.yaml", "--queue"], { env: noQueueEnv });
    expect(sweep.code).toBe(2);
    expect(sweep.stderr.trim()).toBe("dptrain: --queue: expected a URL, or one in --queue-file FILE or DPTRAIN_QUEUE, found none");
    const empty = file("empty.url", "\n");
    const r = await runCli(["agent", "--queue-file", empty], { env: noQueueEnv });
    expect(r.code).toBe(2);
    expect(r.stderr.trim()).toBe(`dptrain: --queue-file ${empty}: expected the queue URL on its first line, found nothing`);
  }, 60_000);
});
