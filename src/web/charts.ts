// The page's live charts: a vega-lite spec (data inline) compiled into a vega view that draws into
// a canvas, one redraw at a time: a call made while one runs is folded into the next. (Named data
// fed to one long-lived view would be cheaper, but vega-lite then sizes the concatenated panels
// as infinitely wide.) The training curves share report.html's spec (report/curve-specs.ts).
import * as vega from "vega";
import { compile, type TopLevelSpec } from "vega-lite";

export class LiveChart {
  private view: vega.View | null = null;
  private drawing: Promise<void> | null = null;
  private next: TopLevelSpec | null = null;

  constructor(private readonly container: HTMLElement) {}

  /** Shows `spec` (whose data are inline values); resolves when it is on screen. */
  async draw(spec: TopLevelSpec): Promise<void> {
    this.next = spec;
    while (this.drawing) await this.drawing;
    if (!this.next) return;
    const latest = this.next;
    this.next = null;
    this.drawing = this.render(latest).finally(() => (this.drawing = null));
    return this.drawing;
  }

  clear(): void {
    this.next = null;
    this.view?.finalize();
    this.view = null;
    this.container.replaceChildren();
  }

  private async render(spec: TopLevelSpec): Promise<void> {
    this.view?.finalize();
    this.container.replaceChildren();
    this.view = new vega.View(vega.parse(compile(spec).spec), { renderer: "canvas", container: this.container, hover: false });
    await this.view.runAsync();
  }
}

export function scalingSpec(points: { workers: number; samples_per_s: number }[], title: string): TopLevelSpec {
  return {
    $schema: "https://vega.github.io/schema/vega-lite/v5.json",
    title, width: 360, height: 240,
    data: { values: points },
    mark: { type: "line", point: true },
    encoding: {
      x: { field: "workers", type: "quantitative", axis: { tickMinStep: 1, format: "d" }, scale: { nice: false }, title: "workers" },
      y: { field: "samples_per_s", type: "quantitative", title: "samples/s" },
    },
  };
}
