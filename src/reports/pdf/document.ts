/**
 * A report page layout on pdfkit: an embedded DejaVu font (so any text renders the same
 * everywhere), a title page, headings, paragraphs, tables that break across pages with
 * their header repeated and never overflow a cell, and page numbers. Under a fixed
 * `generatedAt` the bytes are the same on every render.
 */
import { createRequire } from 'node:module';
import PDFDocument from 'pdfkit';
import type { DayPoint, Health } from '../types.js';
import { fit, sparkline } from './charts.js';

const require = createRequire(import.meta.url);
const FONTS = {
  regular: require.resolve('dejavu-fonts-ttf/ttf/DejaVuSans.ttf'),
  bold: require.resolve('dejavu-fonts-ttf/ttf/DejaVuSans-Bold.ttf'),
  mono: require.resolve('dejavu-fonts-ttf/ttf/DejaVuSansMono.ttf'),
};

export const COLORS: Record<Health | 'ink' | 'muted' | 'rule' | 'accent' | 'band', string> = {
  ok: '#2e7d32',
  warning: '#ef8f00',
  critical: '#c62828',
  nodata: '#9e9e9e',
  ink: '#1f2328',
  muted: '#57606a',
  rule: '#d0d7de',
  accent: '#0b5cad',
  band: '#f3f5f7',
};

export type Cell =
  string | { text: string; status: Health } | { spark: DayPoint[]; min?: number; max?: number; invert?: boolean };

export interface Column {
  title: string;
  /** Share of the table width. */
  width: number;
  align?: 'left' | 'right';
}

export interface DocumentMeta {
  title: string;
  subject: string;
  generatedAt: Date;
}

export class ReportDocument {
  readonly doc: PDFKit.PDFDocument;
  readonly left = 50;
  readonly width: number;
  private readonly bottom: number;

  constructor(meta: DocumentMeta) {
    this.doc = new PDFDocument({
      size: 'A4',
      margins: { top: 56, bottom: 56, left: 50, right: 50 },
      bufferPages: true,
      autoFirstPage: true,
      info: {
        Title: meta.title,
        Subject: meta.subject,
        Author: 'opscron',
        Creator: 'opscron',
        CreationDate: meta.generatedAt,
        ModDate: meta.generatedAt,
      },
      lang: 'en',
      displayTitle: true,
    });
    this.doc.registerFont('regular', FONTS.regular);
    this.doc.registerFont('bold', FONTS.bold);
    this.doc.registerFont('mono', FONTS.mono);
    this.doc.font('regular').fontSize(10).fillColor(COLORS.ink);
    this.width = this.doc.page.width - 100;
    this.bottom = this.doc.page.height - 56;
  }

  get y(): number {
    return this.doc.y;
  }

  /** Starts a new page unless `height` points still fit on this one. */
  ensure(height: number): void {
    if (this.doc.y + height > this.bottom) this.doc.addPage();
  }

  newPage(): void {
    this.doc.addPage();
  }

  titlePage(options: {
    product: string;
    title: string;
    period: string;
    generated: string;
    status: Exclude<Health, 'nodata'>;
    headline: string;
    figures: Array<[string, string]>;
  }): void {
    const { doc } = this;
    doc.rect(0, 0, doc.page.width, 180).fill(COLORS.accent);
    doc
      .fillColor('#ffffff')
      .font('bold')
      .fontSize(12)
      .text(options.product.toUpperCase(), this.left, 60, { characterSpacing: 2 });
    doc.font('bold').fontSize(26).text(options.title, this.left, 84, { width: this.width });
    doc.font('regular').fontSize(11).text(options.period, this.left, 130, { width: this.width });
    doc.fillColor(COLORS.ink);
    doc.y = 220;
    doc.rect(this.left, doc.y, 8, 56).fill(COLORS[options.status]);
    doc
      .fillColor(COLORS.muted)
      .font('regular')
      .fontSize(9)
      .text('OVERALL', this.left + 20, 222);
    doc
      .fillColor(COLORS[options.status])
      .font('bold')
      .fontSize(20)
      .text(options.status.toUpperCase(), this.left + 20, 236);
    doc
      .fillColor(COLORS.ink)
      .font('regular')
      .fontSize(11)
      .text(options.headline, this.left + 20, 262, { width: this.width - 20 });
    doc.y = Math.max(doc.y + 30, 320);
    const columns = 3;
    const boxWidth = this.width / columns;
    const top = doc.y;
    options.figures.forEach(([label, value], i) => {
      const x = this.left + (i % columns) * boxWidth;
      const y = top + Math.floor(i / columns) * 56;
      doc
        .fillColor(COLORS.muted)
        .font('regular')
        .fontSize(8.5)
        .text(label.toUpperCase(), x, y, { width: boxWidth - 12, lineBreak: false });
      doc
        .fillColor(COLORS.ink)
        .font('bold')
        .fontSize(18)
        .text(fit(doc, value, boxWidth - 12, 'bold', 18), x, y + 14, { width: boxWidth - 12, lineBreak: false });
    });
    doc.y = top + Math.ceil(options.figures.length / columns) * 56 + 20;
    doc
      .fillColor(COLORS.muted)
      .font('regular')
      .fontSize(9)
      .text(options.generated, this.left, doc.y, { width: this.width });
    doc.fillColor(COLORS.ink);
  }

  heading(text: string): void {
    this.ensure(60);
    const { doc } = this;
    doc.moveDown(0.8);
    doc.fillColor(COLORS.accent).font('bold').fontSize(14).text(text, this.left, doc.y, { width: this.width });
    doc
      .moveTo(this.left, doc.y + 2)
      .lineTo(this.left + this.width, doc.y + 2)
      .lineWidth(0.75)
      .strokeColor(COLORS.rule)
      .stroke();
    doc.moveDown(0.6);
    doc.fillColor(COLORS.ink).font('regular').fontSize(10);
  }

  paragraph(text: string, options: { muted?: boolean; size?: number } = {}): void {
    const { doc } = this;
    doc
      .font('regular')
      .fontSize(options.size ?? 10)
      .fillColor(options.muted ? COLORS.muted : COLORS.ink);
    this.ensure(doc.heightOfString(text, { width: this.width }) + 4);
    doc.text(text, this.left, doc.y, { width: this.width });
    doc.moveDown(0.4);
    doc.fillColor(COLORS.ink);
  }

  /** The "nothing recorded" statement of an empty section. */
  empty(text: string): void {
    this.paragraph(text, { muted: true });
  }

  /** Label: value lines, two columns. */
  facts(pairs: Array<[string, string]>): void {
    const { doc } = this;
    for (const [label, value] of pairs) {
      this.ensure(16);
      const y = doc.y;
      doc
        .fillColor(COLORS.muted)
        .font('regular')
        .fontSize(9)
        .text(label, this.left, y, { width: 140, lineBreak: false });
      doc
        .fillColor(COLORS.ink)
        .font('regular')
        .fontSize(10)
        .text(value, this.left + 150, y - 1, { width: this.width - 150 });
      doc.y = Math.max(doc.y, y + 15);
    }
    doc.moveDown(0.3);
  }

  table(columns: Column[], rows: Cell[][], options: { rowHeight?: number; fontSize?: number } = {}): void {
    const { doc } = this;
    const rowHeight = options.rowHeight ?? 15;
    const fontSize = options.fontSize ?? 8.5;
    const total = columns.reduce((sum, c) => sum + c.width, 0);
    const widths = columns.map((c) => (c.width / total) * this.width);
    const xs = widths.map((_, i) => this.left + widths.slice(0, i).reduce((a, b) => a + b, 0));
    const pad = 4;

    const header = () => {
      this.ensure(rowHeight * 2);
      const y = doc.y;
      doc.rect(this.left, y, this.width, rowHeight + 2).fill(COLORS.ink);
      const headSize = fontSize - 1;
      doc.fillColor('#ffffff').font('bold').fontSize(headSize);
      columns.forEach((c, i) => {
        doc.text(fit(doc, c.title, widths[i]! - 2 * pad, 'bold', headSize), xs[i]! + pad, y + 4, {
          width: widths[i]! - 2 * pad,
          align: c.align ?? 'left',
          lineBreak: false,
        });
      });
      doc.y = y + rowHeight + 2;
    };

    header();
    rows.forEach((row, r) => {
      if (doc.y + rowHeight > this.bottom) {
        doc.addPage();
        header();
      }
      const y = doc.y;
      if (r % 2 === 1) doc.rect(this.left, y, this.width, rowHeight).fill(COLORS.band);
      row.forEach((cell, i) => {
        const x = xs[i]! + pad;
        const w = widths[i]! - 2 * pad;
        if (typeof cell === 'string') {
          doc
            .fillColor(COLORS.ink)
            .font('regular')
            .fontSize(fontSize)
            .text(fit(doc, cell, w, 'regular', fontSize), x, y + 4, {
              width: w,
              align: columns[i]!.align ?? 'left',
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
      });
      doc.y = y + rowHeight;
    });
    doc
      .moveTo(this.left, doc.y)
      .lineTo(this.left + this.width, doc.y)
      .lineWidth(0.5)
      .strokeColor(COLORS.rule)
      .stroke();
    doc.x = this.left;
    doc.moveDown(0.6);
    doc.fillColor(COLORS.ink).font('regular').fontSize(10);
  }

  /** Page numbers and the report's name in every page's footer; returns the PDF bytes. */
  async finish(footer: string): Promise<Buffer> {
    const { doc } = this;
    const chunks: Buffer[] = [];
    doc.on('data', (chunk: Buffer) => chunks.push(chunk));
    const ended = new Promise<void>((resolve, reject) => {
      doc.on('end', resolve);
      doc.on('error', reject);
    });
    const range = doc.bufferedPageRange();
    for (let i = range.start; i < range.start + range.count; i++) {
      doc.switchToPage(i);
      const bottomMargin = doc.page.margins.bottom;
      doc.page.margins.bottom = 0; // writing in the margin must not start a new page
      const y = doc.page.height - 36;
      doc.fillColor(COLORS.muted).font('regular').fontSize(8);
      doc.text(fit(doc, footer, this.width - 80, 'regular', 8), this.left, y, {
        width: this.width - 80,
        lineBreak: false,
      });
      doc.text(`Page ${i + 1} of ${range.count}`, this.left + this.width - 80, y, {
        width: 80,
        align: 'right',
        lineBreak: false,
      });
      doc.page.margins.bottom = bottomMargin;
    }
    doc.end();
    await ended;
    return Buffer.concat(chunks);
  }
}
