// The page's live charts: vega-lite specs compiled and drawn into a canvas by vega, redrawn as
// points arrive (the training curves share report.html's spec, report/curve-specs.ts).
import * as vega from "vega";
import { compile, type TopLevelSpec } from "vega-lite";

export class LiveChart {
  private view: vega.View | null = null;

  constructor(private readonly container: HTMLElement) {}

  async draw(spec: TopLevelSpec): Promise<void> {
    this.view?.finalize();
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
      x: { field: "workers", type: "quantitative", axis: { tickMinStep: 1 }, title: "workers" },
      y: { field: "samples_per_s", type: "quantitative", title: "samples/s" },
    },
  };
}
