/**
 * Tables on a report page: columns sized by their share of the width, a dark header row
 * repeated on every page the table breaks onto, banded rows, and cells that never overflow
 * (text is cut with an ellipsis to fit its column). Measuring — where each column goes — is
 * kept apart from drawing the header, the rows and their cells.
 */
import type { DayPoint, Health } from '../types.js';
import { fit, sparkline } from './charts.js';
import { COLORS } from './palette.js';

/** A table cell: plain text, a status (a coloured mark and word), or a sparkline of per-day values. */
export type Cell =
  string | { text: string; status: Health } | { spark: DayPoint[]; min?: number; max?: number; invert?: boolean };

/** A table column: its header, its share of the table's width and how its text aligns. */
export interface Column {
  title: string;
  /** Share of the table width. */
  width: number;
  align?: 'left' | 'right';
}

/** Row height and font size in points: 15 and 8.5 unless given. */
export interface TableOptions {
  rowHeight?: number;
  fontSize?: number;
}

/** Where a table may draw: the page's text column, and the line no row may cross. */
export interface TableFrame {
  doc: PDFKit.PDFDocument;
  left: number;
  width: number;
  /** A row reaching below this continues on a new page. */
  bottom: number;
}

/** A measured table: each column's left edge and width, and the row and font size. */
interface TableLayout {
  xs: number[];
  widths: number[];
  rowHeight: number;
  fontSize: number;
}

/** Space between a column's edge and its content. */
const PAD = 4;

/** Draws `rows` under a header of `columns` from the document's cursor, breaking across pages as needed. */
export function drawTable(frame: TableFrame, columns: Column[], rows: Cell[][], options: TableOptions = {}): void {
  const layout = measure(frame, columns, options);
  drawHeader(frame, columns, layout);
  rows.forEach((row, index) => {
    if (frame.doc.y + layout.rowHeight > frame.bottom) {
      frame.doc.addPage();
      // The reader of a continued table still needs to know which column is which.
      drawHeader(frame, columns, layout);
    }
    drawRow(frame, columns, layout, row, index);
  });
  closeTable(frame);
}

/** Each column's share of the frame's width, side by side from its left edge. */
function measure(frame: TableFrame, columns: Column[], options: TableOptions): TableLayout {
  const rowHeight = options.rowHeight ?? 15;
  const fontSize = options.fontSize ?? 8.5;
  const total = columns.reduce((sum, c) => sum + c.width, 0);
  const widths = columns.map((c) => (c.width / total) * frame.width);
  const xs = widths.map((_, i) => frame.left + widths.slice(0, i).reduce((a, b) => a + b, 0));
  return { xs, widths, rowHeight, fontSize };
}

function drawHeader(frame: TableFrame, columns: Column[], layout: TableLayout): void {
  const { doc } = frame;
  const { xs, widths, rowHeight, fontSize } = layout;
  // Room for the header and one row, so a header never ends a page alone.
  if (doc.y + rowHeight * 2 > frame.bottom) doc.addPage();
  const y = doc.y;
  doc.rect(frame.left, y, frame.width, rowHeight + 2).fill(COLORS.ink);
  const headSize = fontSize - 1;
  doc.fillColor('#ffffff').font('bold').fontSize(headSize);
  columns.forEach((c, i) => {
    doc.text(fit(doc, c.title, widths[i]! - 2 * PAD, 'bold', headSize), xs[i]! + PAD, y + 4, {
      width: widths[i]! - 2 * PAD,
      align: c.align ?? 'left',
      lineBreak: false,
    });
  });
  doc.y = y + rowHeight + 2;
}

function drawRow(frame: TableFrame, columns: Column[], layout: TableLayout, row: Cell[], index: number): void {
  const { doc } = frame;
  const y = doc.y;
  // Every other row banded, so a wide row can be followed by eye.
  if (index % 2 === 1) doc.rect(frame.left, y, frame.width, layout.rowHeight).fill(COLORS.band);
  row.forEach((cell, i) => {
    drawCell(doc, cell, columns[i]!, layout, { x: layout.xs[i]! + PAD, y, width: layout.widths[i]! - 2 * PAD });
  });
  doc.y = y + layout.rowHeight;
}

function drawCell(
  doc: PDFKit.PDFDocument,
  cell: Cell,
  column: Column,
  layout: TableLayout,
  box: { x: number; y: number; width: number },
): void {
  const { x, y, width: w } = box;
  const { rowHeight, fontSize } = layout;
  if (typeof cell === 'string') {
    doc
      .fillColor(COLORS.ink)
      .font('regular')
      .fontSize(fontSize)
      .text(fit(doc, cell, w, 'regular', fontSize), x, y + 4, {
        width: w,
        align: column.align ?? 'left',
        lineBreak: false,
      });
  } else if ('status' in cell) {
    doc.rect(x, y + 3, 6, rowHeight - 6).fill(COLORS[cell.status]);
    doc
      .fillColor(COLORS[cell.status])
      .font('bold')
      .fontSize(fontSize)
      .text(fit(doc, cell.text, w - 10, 'bold', fontSize), x + 10, y + 4, { width: w - 10, lineBreak: false });
  } else {
    sparkline(doc, x, y + 2, w, rowHeight - 4, cell.spark, { min: cell.min, max: cell.max });
  }
}

/** A closing rule under the last row, and the cursor and font back to body text. */
function closeTable(frame: TableFrame): void {
  const { doc } = frame;
  doc
    .moveTo(frame.left, doc.y)
    .lineTo(frame.left + frame.width, doc.y)
    .lineWidth(0.5)
    .strokeColor(COLORS.rule)
    .stroke();
  doc.x = frame.left;
  doc.moveDown(0.6);
  doc.fillColor(COLORS.ink).font('regular').fontSize(10);
}
