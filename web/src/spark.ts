// Sparklines for the process list: the last ~60 RSS samples on a small canvas. Too small for a
// chart library to pay off; the process page has the real chart. Unknown samples leave a gap.

const W = 120;
const H = 26;

export function drawSpark(c: HTMLCanvasElement, values: (number | null)[], color: string): void {
  const dpr = window.devicePixelRatio || 1;
  c.width = W * dpr;
  c.height = H * dpr;
  c.style.width = `${W}px`;
  c.style.height = `${H}px`;
  const ctx = c.getContext('2d');
  if (!ctx) return;
  ctx.scale(dpr, dpr);
  ctx.clearRect(0, 0, W, H);
  const known = values.filter((v): v is number => typeof v === 'number' && Number.isFinite(v));
  if (known.length < 2) return;
  let lo = Math.min(...known);
  let hi = Math.max(...known);
  // A flat line sits in the middle; a change of under 1% is drawn as flat rather than as a cliff.
  if (hi - lo < hi * 0.01) {
    lo -= Math.max(1, hi * 0.01);
    hi += Math.max(1, hi * 0.01);
  }
  const n = values.length;
  const x = (i: number) => (n === 1 ? W / 2 : (i / (n - 1)) * (W - 2) + 1);
  const y = (v: number) => H - 2 - ((v - lo) / (hi - lo)) * (H - 4);
  ctx.lineWidth = 1.25;
  ctx.strokeStyle = color;
  ctx.fillStyle = `${color}22`;
  let open = false;
  let firstX = 0;
  let lastX = 0;
  const close = () => {
    if (!open) return;
    ctx.stroke();
    ctx.lineTo(lastX, H);
    ctx.lineTo(firstX, H);
    ctx.closePath();
    ctx.fill();
    open = false;
  };
  values.forEach((v, i) => {
    if (typeof v !== 'number' || !Number.isFinite(v)) {
      close();
      return;
    }
    if (!open) {
      ctx.beginPath();
      ctx.moveTo(x(i), y(v));
      firstX = x(i);
      open = true;
    } else {
      ctx.lineTo(x(i), y(v));
    }
    lastX = x(i);
  });
  close();
}
