/// <reference lib="dom" />
// Drives the web page in Debian's chromium (headless, through puppeteer-core, a devDependency
// imported only by the browser test and npm run bench:web; nothing downloads a browser): open it
// from a dptrain server, type a config, train, pause, download the model. (The DOM types are for
// the functions that run in the page.)
import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import puppeteer, { type Browser, type Page } from "puppeteer-core";

const CHROMIUM_PATHS = ["/usr/bin/chromium", "/usr/bin/chromium-browser"];

export function chromiumPath(): string {
  const found = process.env.DPTRAIN_CHROMIUM ?? CHROMIUM_PATHS.find((p) => existsSync(p));
  if (!found) throw new Error(`no chromium at ${CHROMIUM_PATHS.join(" or ")}: apt-get install chromium (or set DPTRAIN_CHROMIUM)`);
  return found;
}

/** Where the page's downloads land (emptied before each one). */
const downloads = mkdtempSync(join(tmpdir(), "dptrain-downloads-"));

export async function launchChromium(): Promise<Browser> {
  // --no-sandbox: CI runs as root, where chromium's sandbox refuses to start
  return puppeteer.launch({
    executablePath: chromiumPath(), headless: true, args: ["--no-sandbox", "--disable-dev-shm-usage"],
    downloadBehavior: { policy: "allow", downloadPath: downloads },
  });
}

export class PageDriver {
  readonly errors: string[] = [];

  private constructor(readonly browser: Browser, readonly page: Page) {
    page.on("pageerror", (e) => this.errors.push((e as Error).message));
  }

  static async open(browser: Browser, url: string): Promise<PageDriver> {
    const page = await browser.newPage();
    await page.setViewport({ width: 1100, height: 1000 });
    const driver = new PageDriver(browser, page);
    await page.goto(url);
    await driver.waitFor(["idle"], 30_000);
    return driver;
  }

  state(): Promise<string> {
    return this.page.evaluate(() => document.body.dataset.state ?? "");
  }

  text(selector: string): Promise<string> {
    return this.page.$eval(selector, (e) => e.textContent ?? "");
  }

  async waitFor(states: string[], timeout = 180_000): Promise<string> {
    await this.page.waitForFunction((s: string[]) => s.includes(document.body.dataset.state ?? ""), { timeout, polling: 50 }, states);
    return this.state();
  }

  async setConfig(yaml: string, workers: number): Promise<void> {
    await this.page.$eval("#config", (e, v) => ((e as HTMLTextAreaElement).value = v), yaml);
    await this.page.$eval("#workers", (e, v) => ((e as HTMLInputElement).value = v), String(workers));
  }

  /** Clicks Train and waits for the run to end; "done", "paused" or "error". */
  async train(yaml: string, workers: number): Promise<string> {
    await this.setConfig(yaml, workers);
    await this.page.click("#train");
    return this.waitFor(["done", "paused", "error"]);
  }

  /** model.safetensors as the Download button saves it. */
  async download(): Promise<Uint8Array> {
    for (const f of readdirSync(downloads)) rmSync(join(downloads, f));
    await this.page.click("#download");
    const file = join(downloads, "model.safetensors");
    for (let t0 = Date.now(); Date.now() - t0 < 30_000; await new Promise((r) => setTimeout(r, 50))) {
      // chromium writes NAME.crdownload and renames it when the download is complete
      if (existsSync(file) && !readdirSync(downloads).some((f) => f.endsWith(".crdownload"))) return readFileSync(file);
    }
    throw new Error("model.safetensors was not downloaded within 30 s");
  }

  /** Draws strokes (lists of points in the 280×280 pad's coordinates) with the mouse. */
  async draw(strokes: [number, number][][]): Promise<void> {
    const pad = (await this.page.$("#pad"))!;
    await pad.scrollIntoView();
    const box = (await pad.boundingBox())!;
    for (const stroke of strokes) {
      const [x0, y0] = stroke[0]!;
      await this.page.mouse.move(box.x + x0, box.y + y0);
      await this.page.mouse.down();
      for (const [x, y] of stroke.slice(1)) await this.page.mouse.move(box.x + x, box.y + y, { steps: 8 });
      await this.page.mouse.up();
    }
  }
}
