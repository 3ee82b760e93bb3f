// The page's drawing pad: a 280×280 canvas drawn on with the pointer, turned into a 28×28 u8
// image the way MNIST digits were made: the ink's bounding box scaled to fit 20×20, centred in
// 28×28 (by the box's centre), white on black.
const SIDE = 28;
const BOX = 20;

export class DigitPad {
  private drawing = false;
  private readonly ctx: CanvasRenderingContext2D;

  constructor(private readonly canvas: HTMLCanvasElement, private readonly onDrawn: () => void) {
    this.ctx = canvas.getContext("2d", { willReadFrequently: true })!;
    this.clear();
    canvas.addEventListener("pointerdown", (e) => {
      this.drawing = true;
      this.ctx.beginPath();
      this.ctx.moveTo(e.offsetX, e.offsetY);
    });
    canvas.addEventListener("pointermove", (e) => {
      if (!this.drawing) return;
      this.ctx.lineTo(e.offsetX, e.offsetY);
      this.ctx.stroke();
    });
    const end = () => {
      if (!this.drawing) return;
      this.drawing = false;
      this.onDrawn();
    };
    canvas.addEventListener("pointerup", end);
    canvas.addEventListener("pointerleave", end);
  }

  clear(): void {
    const { ctx, canvas } = this;
    ctx.fillStyle = "black";
    ctx.fillRect(0, 0, canvas.width, canvas.height);
    ctx.strokeStyle = "white";
    ctx.lineWidth = canvas.width / 14;
    ctx.lineCap = "round";
    ctx.lineJoin = "round";
  }

  /** (28·28) u8, row-major; null when nothing is drawn. */
  pixels(): Uint8Array | null {
    const { canvas } = this;
    const { data, width, height } = this.ctx.getImageData(0, 0, canvas.width, canvas.height);
    let x0 = width, y0 = height, x1 = -1, y1 = -1;
    for (let y = 0; y < height; y++) {
      for (let x = 0; x < width; x++) {
        if (data[(y * width + x) * 4]! > 0) {
          x0 = Math.min(x0, x); x1 = Math.max(x1, x);
          y0 = Math.min(y0, y); y1 = Math.max(y1, y);
        }
      }
    }
    if (x1 < 0) return null;
    const w = x1 - x0 + 1, h = y1 - y0 + 1;
    const scale = BOX / Math.max(w, h);
    const small = new OffscreenCanvas(SIDE, SIDE);
    const sctx = small.getContext("2d")!;
    sctx.fillStyle = "black";
    sctx.fillRect(0, 0, SIDE, SIDE);
    sctx.imageSmoothingQuality = "high";
    sctx.drawImage(canvas, x0, y0, w, h, (SIDE - w * scale) / 2, (SIDE - h * scale) / 2, w * scale, h * scale);
    const rgba = sctx.getImageData(0, 0, SIDE, SIDE).data;
    return Uint8Array.from({ length: SIDE * SIDE }, (_, i) => rgba[i * 4]!);
  }
}
