// The training curves as a vega-lite spec: loss and accuracy in two panels side by side, each on
// its own y scale (one shared 0–1 axis flattened a CNN's late epochs, loss 0.02–0.03 beside
// accuracy 0.99, into two straight lines). Host-neutral: report.html renders it to SVG in Node,
// the web page live in a canvas.
import type { TopLevelSpec } from "vega-lite";
import type { EpochMetrics } from "./metrics.js";

export type CurveSeries = "train loss" | "val loss" | "test loss" | "train acc" | "val acc" | "test acc";

/** One point of one curve; x is an epoch (report.html) or a step (the page, live). */
export interface CurvePoint {
  x: number;
  series: CurveSeries;
  value: number;
}

const LOSS: CurveSeries[] = ["train loss", "val loss", "test loss"];
const ACCURACY: CurveSeries[] = ["train acc", "val acc", "test acc"];

export function epochCurvePoints(history: EpochMetrics[]): CurvePoint[] {
  const point = (m: EpochMetrics, series: CurveSeries, value: number | null | undefined): CurvePoint[] => (value === null || value === undefined ? [] : [{ x: m.epoch, series, value }]);
  return history.flatMap((m) => [
    ...point(m, "train loss", m.train_loss), ...point(m, "val loss", m.val_loss), ...point(m, "test loss", m.test_loss),
    ...point(m, "train acc", m.train_acc), ...point(m, "val acc", m.val_acc), ...point(m, "test acc", m.test_acc),
  ]);
}

function panel(title: string, series: CurveSeries[], xTitle: string, width: number): Record<string, unknown> {
  return {
    title, width, height: 260,
    transform: [{ filter: { field: "series", oneOf: series } }],
    // a point on every value, except for the loss per step, which is dense
    mark: { type: "line", point: xTitle === "epoch" || series === ACCURACY },
    encoding: {
      x: { field: "x", type: "quantitative", axis: { tickMinStep: 1, format: "d" }, title: xTitle },
      // zero: false, so a panel spans its own values (accuracy 0.990–0.993 is not a flat line)
      y: { field: "value", type: "quantitative", title: null, scale: { zero: false } },
      color: { field: "series", type: "nominal", sort: series, title: null },
    },
  };
}

export function curvesSpec(history: EpochMetrics[] | CurvePoint[], title: string, xTitle = "epoch", width = 360): TopLevelSpec {
  const values = history.length > 0 && "series" in history[0]! ? (history as CurvePoint[]) : epochCurvePoints(history as EpochMetrics[]);
  return {
    $schema: "https://vega.github.io/schema/vega-lite/v5.json",
    title,
    data: { values },
    // a panel without points is left out (vega-lite would lay it out infinitely wide)
    hconcat: [panel("loss", LOSS, xTitle, width), panel("accuracy", ACCURACY, xTitle, width)].filter((_, i) => values.some((v) => (i === 0 ? LOSS : ACCURACY).includes(v.series))),
    resolve: { scale: { y: "independent", color: "independent" } },
  } as unknown as TopLevelSpec; // the panels are typed loosely above
}
