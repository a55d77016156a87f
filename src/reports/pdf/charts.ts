/**
 * Vector charts drawn with pdfkit: sparklines for table cells, horizontal bar charts with
 * a value axis, and the availability grid (one row per service, one column per day).
 * Every chart but the in-cell sparkline has labelled axes and a legend where colour means
 * something.
 */
import type { DayPoint } from '../types.js';

const INK = '#1f2328';
const MUTED = '#57606a';
const RULE = '#d0d7de';
const LINE = '#0b5cad';

/** A line over the days; gaps where nothing was recorded, the last point marked. */
export function sparkline(
  doc: PDFKit.PDFDocument,
  x: number,
  y: number,
  width: number,
  height: number,
  points: DayPoint[],
  range: { min?: number; max?: number } = {},
): void {
  const values = points.map((p) => p.value).filter((v): v is number => v !== null);
  if (!values.length) {
    doc
      .fillColor(MUTED)
      .font('regular')
      .fontSize(7)
      .text('no data', x, y + height / 2 - 4, { width, lineBreak: false });
    return;
  }
  let min = range.min ?? Math.min(...values);
  let max = range.max ?? Math.max(...values);
  if (max - min < 1e-9) {
    min -= 1;
    max += 1;
  }
  const step = points.length > 1 ? width / (points.length - 1) : 0;
  const px = (i: number) => x + (points.length > 1 ? i * step : width / 2);
  const py = (v: number) => y + height - ((Math.min(max, Math.max(min, v)) - min) / (max - min)) * height;
  doc
    .moveTo(x, y + height)
    .lineTo(x + width, y + height)
    .lineWidth(0.3)
    .strokeColor(RULE)
    .stroke();
  let drawing = false;
  points.forEach((p, i) => {
    if (p.value === null) {
      drawing = false;
      return;
    }
    if (drawing) doc.lineTo(px(i), py(p.value));
    else doc.moveTo(px(i), py(p.value));
    drawing = true;
  });
  doc.lineWidth(0.9).strokeColor(LINE).stroke();
  const lastIndex = points.map((p) => p.value !== null).lastIndexOf(true);
  doc.circle(px(lastIndex), py(points[lastIndex]!.value!), 1.4).fill(LINE);
}

/** One row of a bar chart. */
export interface Bar {
  label: string;
  /** Stacked segments, drawn left to right. */
  segments: Array<{ value: number; color: string }>;
}

/** How a bar chart reads: its value axis's label, scale and tick format, and what its colours mean. */
export interface BarChartOptions {
  axisLabel: string;
  /** The value at the right end of the axis; by default the longest bar's (at least 1). */
  max?: number;
  /** Tick labels; whole numbers by default. */
  format?: (v: number) => string;
  legend?: Array<{ label: string; color: string }>;
}

/** Where the bars go: labels right-aligned in `labelWidth` from `x`, bars from `plotX`, `max` at the right end. */
interface BarPlot {
  x: number;
  labelWidth: number;
  plotX: number;
  plotWidth: number;
  max: number;
}

const BAR_HEIGHT = 10;
const BAR_GAP = 5;
const barTotal = (b: Bar) => b.segments.reduce((s, seg) => s + seg.value, 0);

/** Horizontal (stacked) bars with a labelled value axis and a legend. Returns the height used. */
export function barChart(
  doc: PDFKit.PDFDocument,
  x: number,
  y: number,
  width: number,
  bars: Bar[],
  options: BarChartOptions,
): number {
  const labelWidth = Math.min(150, width * 0.3);
  const plot: BarPlot = {
    x,
    labelWidth,
    plotX: x + labelWidth + 6,
    plotWidth: width - labelWidth - 16,
    max: options.max ?? Math.max(1, ...bars.map(barTotal)),
  };
  const axisY = drawBars(doc, plot, y, bars);
  valueAxis(doc, plot, y, axisY, options);
  let used = axisY + 30 - y;
  if (options.legend?.length) used += legend(doc, plot.plotX, y + used, options.legend);
  return used;
}

/** One labelled bar per row from `y`; returns the y under the last one, where the axis goes. */
function drawBars(doc: PDFKit.PDFDocument, plot: BarPlot, y: number, bars: Bar[]): number {
  let cy = y;
  doc.font('regular').fontSize(7.5);
  for (const bar of bars) {
    doc.fillColor(INK).text(fit(doc, bar.label, plot.labelWidth, 'regular', 7.5), plot.x, cy + 1.5, {
      width: plot.labelWidth,
      align: 'right',
      lineBreak: false,
    });
    let sx = plot.plotX;
    for (const seg of bar.segments) {
      // A negative value (an overspent budget) draws as nothing rather than backwards.
      const w = (Math.max(0, seg.value) / plot.max) * plot.plotWidth;
      if (w > 0) doc.rect(sx, cy, w, BAR_HEIGHT).fill(seg.color);
      sx += w;
    }
    cy += BAR_HEIGHT + BAR_GAP;
  }
  return cy;
}

/** The value axis along `axisY` with five ticks (0, ¼, ½, ¾ and all of `max`) and its label under them. */
function valueAxis(doc: PDFKit.PDFDocument, plot: BarPlot, top: number, axisY: number, options: BarChartOptions): void {
  const { plotX, plotWidth, max } = plot;
  const format = options.format ?? ((v: number) => String(Math.round(v)));
  doc
    .moveTo(plotX, top - 2)
    .lineTo(plotX, axisY)
    .lineTo(plotX + plotWidth, axisY)
    .lineWidth(0.6)
    .strokeColor(MUTED)
    .stroke();
  for (let i = 0; i <= 4; i++) {
    const tx = plotX + (plotWidth * i) / 4;
    doc
      .moveTo(tx, axisY)
      .lineTo(tx, axisY + 3)
      .stroke();
    doc
      .fillColor(MUTED)
      .fontSize(7)
      .text(format((max * i) / 4), tx - 30, axisY + 5, { width: 60, align: 'center', lineBreak: false });
  }
  doc
    .fillColor(MUTED)
    .fontSize(7.5)
    .text(options.axisLabel, plotX, axisY + 16, { width: plotWidth, align: 'center', lineBreak: false });
}

/** Colour keys in a row. Returns the height used. */
export function legend(
  doc: PDFKit.PDFDocument,
  x: number,
  y: number,
  items: Array<{ label: string; color: string }>,
): number {
  let lx = x;
  doc.font('regular').fontSize(7.5);
  for (const item of items) {
    doc.rect(lx, y + 1, 8, 8).fill(item.color);
    doc.fillColor(INK).text(item.label, lx + 11, y + 1, { lineBreak: false });
    lx += 11 + doc.widthOfString(item.label) + 12;
  }
  return 16;
}

/**
 * Availability per service × day: a cell's colour says how much of the day's checks passed.
 * Draws as many rows as fit from `y`, and returns how many it drew and the height used.
 */
export function availabilityGrid(
  doc: PDFKit.PDFDocument,
  x: number,
  y: number,
  width: number,
  maxHeight: number,
  days: string[],
  rows: Array<{ service: string; values: Array<number | null> }>,
  colorOf: (value: number | null) => string,
): { drawn: number; height: number } {
  const labelWidth = Math.min(140, width * 0.28);
  const cellWidth = Math.min(18, (width - labelWidth - 4) / Math.max(1, days.length));
  const cellHeight = 9;
  const headerHeight = 34;
  const gridX = x + labelWidth + 4;
  // Day axis: day of month under every column, month name where it changes.
  doc.font('regular').fontSize(6.5).fillColor(MUTED);
  const labelEvery = cellWidth < 9 ? Math.ceil(9 / cellWidth) : 1;
  days.forEach((day, i) => {
    const [, month, dom] = day.split('-');
    if (i === 0 || dom === '01')
      doc.text(`${monthName(Number(month))}`, gridX + i * cellWidth, y, { lineBreak: false });
    if (i % labelEvery === 0)
      doc.text(String(Number(dom)), gridX + i * cellWidth, y + 12, { width: cellWidth * labelEvery, lineBreak: false });
  });
  doc.text('day', gridX - 20, y + 12, { lineBreak: false });
  const rowsThatFit = Math.max(0, Math.floor((maxHeight - headerHeight) / (cellHeight + 1)));
  const drawn = Math.min(rowsThatFit, rows.length);
  let cy = y + 24;
  for (let r = 0; r < drawn; r++) {
    const row = rows[r]!;
    doc.fillColor(INK).text(fit(doc, row.service, labelWidth, 'regular', 7), x, cy + 1, {
      width: labelWidth,
      align: 'right',
      lineBreak: false,
    });
    row.values.forEach((v, i) => {
      doc.rect(gridX + i * cellWidth + 0.5, cy, cellWidth - 1, cellHeight).fill(colorOf(v));
    });
    cy += cellHeight + 1;
  }
  return { drawn, height: cy - y + 4 };
}

/** The text cut with an ellipsis to fit `width` points in the given font. */
export function fit(doc: PDFKit.PDFDocument, text: string, width: number, font: string, size: number): string {
  doc.font(font).fontSize(size);
  if (doc.widthOfString(text) <= width) return text;
  let lo = 0;
  let hi = text.length;
  while (lo < hi) {
    const mid = Math.ceil((lo + hi) / 2);
    if (doc.widthOfString(`${text.slice(0, mid)}…`) <= width) lo = mid;
    else hi = mid - 1;
  }
  return `${text.slice(0, lo)}…`;
}

const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];
const monthName = (m: number) => MONTHS[m - 1] ?? '';
