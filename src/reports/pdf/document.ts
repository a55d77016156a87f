/**
 * A report page layout on pdfkit: an embedded DejaVu font (so any text renders the same
 * everywhere), a title page, headings, paragraphs, tables that break across pages with
 * their header repeated and never overflow a cell (table.ts), and page numbers. Under a
 * fixed `generatedAt` the bytes are the same on every render.
 */
import { createRequire } from 'node:module';
import PDFDocument from 'pdfkit';
import type { Health } from '../types.js';
import { fit } from './charts.js';
import { COLORS } from './palette.js';
import { drawTable, type Cell, type Column, type TableOptions } from './table.js';

const require = createRequire(import.meta.url);
const FONTS = {
  regular: require.resolve('dejavu-fonts-ttf/ttf/DejaVuSans.ttf'),
  bold: require.resolve('dejavu-fonts-ttf/ttf/DejaVuSans-Bold.ttf'),
  mono: require.resolve('dejavu-fonts-ttf/ttf/DejaVuSansMono.ttf'),
};

/** What the title page shows: the product and report, the period, the overall status and its key figures. */
export interface TitlePageContent {
  product: string;
  title: string;
  period: string;
  generated: string;
  status: Exclude<Health, 'nodata'>;
  headline: string;
  figures: Array<[string, string]>;
}

/** Key figures on the title page: this many to a row, each box this tall. */
const FIGURE_COLUMNS = 3;
const FIGURE_HEIGHT = 56;

/** The PDF's document information. `generatedAt` is its creation date: the only time in the bytes. */
export interface DocumentMeta {
  title: string;
  subject: string;
  generatedAt: Date;
}

/** One report being laid out: A4 pages with a 50-point text column, drawn top to bottom from the cursor. */
export class ReportDocument {
  /** The pdfkit document, for the charts that draw on it directly. */
  readonly doc: PDFKit.PDFDocument;
  /** The text column's left edge and width, in points. */
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

  /** The cursor: where the next block starts on the current page. */
  get y(): number {
    return this.doc.y;
  }

  /** Starts a new page unless `height` points still fit on this one. */
  ensure(height: number): void {
    if (this.doc.y + height > this.bottom) this.doc.addPage();
  }

  /** Starts a new page: each report's sections begin on the page after its title page. */
  newPage(): void {
    this.doc.addPage();
  }

  /** The first page: a coloured band with the report's name, the overall status and headline, the key figures. */
  titlePage(options: TitlePageContent): void {
    const { doc } = this;
    this.titleBand(options);
    this.overallStatus(options.status, options.headline);
    this.figureGrid(options.figures);
    doc
      .fillColor(COLORS.muted)
      .font('regular')
      .fontSize(9)
      .text(options.generated, this.left, doc.y, { width: this.width });
    doc.fillColor(COLORS.ink);
  }

  /** The accent band across the top of the title page: product, report title, period. */
  private titleBand(options: Pick<TitlePageContent, 'product' | 'title' | 'period'>): void {
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
  }

  /** OVERALL and the status in its colour beside a bar of that colour, then the headline under it. */
  private overallStatus(status: TitlePageContent['status'], headline: string): void {
    const { doc } = this;
    doc.y = 220;
    doc.rect(this.left, doc.y, 8, 56).fill(COLORS[status]);
    doc
      .fillColor(COLORS.muted)
      .font('regular')
      .fontSize(9)
      .text('OVERALL', this.left + 20, 222);
    doc
      .fillColor(COLORS[status])
      .font('bold')
      .fontSize(20)
      .text(status.toUpperCase(), this.left + 20, 236);
    doc
      .fillColor(COLORS.ink)
      .font('regular')
      .fontSize(11)
      .text(headline, this.left + 20, 262, { width: this.width - 20 });
    // A long headline pushes the figures down; a short one leaves them at a fixed place.
    doc.y = Math.max(doc.y + 30, 320);
  }

  /** Label over value, in rows of three boxes; values cut to fit their box. */
  private figureGrid(figures: TitlePageContent['figures']): void {
    const { doc } = this;
    const boxWidth = this.width / FIGURE_COLUMNS;
    const top = doc.y;
    figures.forEach(([label, value], i) => {
      const x = this.left + (i % FIGURE_COLUMNS) * boxWidth;
      const y = top + Math.floor(i / FIGURE_COLUMNS) * FIGURE_HEIGHT;
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
    doc.y = top + Math.ceil(figures.length / FIGURE_COLUMNS) * FIGURE_HEIGHT + 20;
  }

  /** A section heading with a rule under it; moves to a new page unless some of the section fits under it. */
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

  /** Body text across the column, on a new page if it does not fit on this one; `muted` is for explanations. */
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

  /** A table at the cursor, continued on the next pages (header repeated) when it does not fit. */
  table(columns: Column[], rows: Cell[][], options: TableOptions = {}): void {
    drawTable({ doc: this.doc, left: this.left, width: this.width, bottom: this.bottom }, columns, rows, options);
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
