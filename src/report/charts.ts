// Charts as vega-lite specs rendered to SVG in Node (vega's headless renderer, no canvas):
//   curves       loss and accuracy per epoch, in two panels (curve-specs.ts)
//   confusion    the test confusion matrix as a heatmap with counts
//   predictions  a grid of test digits titled "true / pred" (d2l's predict_ch3)
import { PNG } from "pngjs";
import * as vega from "vega";
import { compile, type TopLevelSpec } from "vega-lite";

export { curvesSpec } from "./curve-specs.js";

export async function renderSvg(spec: TopLevelSpec): Promise<string> {
  const view = new vega.View(vega.parse(compile(spec).spec), { renderer: "none" });
  try {
    return await view.toSVG();
  } finally {
    view.finalize();
  }
}

export function confusionSpec(confusion: number[][], classNames: string[], title: string): TopLevelSpec {
  const values = confusion.flatMap((row, t) => row.map((count, p) => ({ true: classNames[t], pred: classNames[p], count })));
  const order = classNames;
  return {
    $schema: "https://vega.github.io/schema/vega-lite/v5.json",
    title, width: 360, height: 360,
    data: { values },
    encoding: {
      x: { field: "pred", type: "ordinal", sort: order, title: "predicted" },
      y: { field: "true", type: "ordinal", sort: order, title: "true" },
    },
    layer: [
      { mark: "rect", encoding: { color: { field: "count", type: "quantitative", scale: { type: "symlog", scheme: "blues" } } } },
      { mark: { type: "text", fontSize: 9 }, encoding: { text: { field: "count", type: "quantitative" }, color: { condition: { test: "datum.count > 300", value: "white" }, value: "black" } } },
    ],
  };
}

/** An image (channels × rows × cols u8: 1 gray or 3 RGB planes) as a PNG data URL; gray is drawn as dark ink on white, like the d2l figures. */
export function pngDataUrl(pixels: Uint8Array, rows: number, cols: number, scale = 2, channels = 1): string {
  const png = new PNG({ width: cols * scale, height: rows * scale });
  const plane = rows * cols;
  for (let y = 0; y < rows * scale; y++) {
    for (let x = 0; x < cols * scale; x++) {
      const p = Math.floor(y / scale) * cols + Math.floor(x / scale);
      const i = (y * cols * scale + x) * 4;
      for (let c = 0; c < 3; c++) png.data[i + c] = channels === 1 ? 255 - pixels[p]! : pixels[c * plane + p]!;
      png.data[i + 3] = 255;
    }
  }
  return `data:image/png;base64,${PNG.sync.write(png).toString("base64")}`;
}

export interface PredictionCell {
  url: string;
  trueName: string;
  predName: string;
}

export function predictionGridSpec(cells: PredictionCell[], title: string, columns = 6): TopLevelSpec {
  const values = cells.map((c, i) => ({ i, url: c.url, label: `${c.trueName} / ${c.predName}`, wrong: c.trueName !== c.predName }));
  return {
    $schema: "https://vega.github.io/schema/vega-lite/v5.json",
    title,
    data: { values },
    facet: { field: "i", type: "ordinal", header: { labelExpr: "''", labelPadding: 0, title: null } },
    columns,
    spec: {
      width: 64, height: 78,
      layer: [
        { mark: { type: "image", width: 56, height: 56 }, encoding: { url: { field: "url", type: "nominal" }, x: { value: 32 }, y: { value: 30 } } },
        { mark: { type: "text", fontSize: 10, baseline: "top" }, encoding: { text: { field: "label" }, x: { value: 32 }, y: { value: 62 }, color: { condition: { test: "datum.wrong", value: "#c00" }, value: "black" } } },
      ],
    },
  } as TopLevelSpec;
}
