// TEMPORARY debugging aid (sheets helper); deleted before the report.
use calamine::{Data, Reader, Xlsx, open_workbook_from_rs};
use prodline_formats::layout::{fields_of_row, find_header};
use prodline_formats::table::{Cell, SourceHints, Table};
use std::io::Cursor;

#[test]
fn scratch_dump() {
    let Ok(path) = std::env::var("SCRATCH_XLSX") else { return };
    for path in path.split(',') {
        let bytes = std::fs::read(path).unwrap();
        let mut wb: Xlsx<_> = open_workbook_from_rs(Cursor::new(bytes)).unwrap();
        for name in wb.sheet_names() {
            let range = wb.worksheet_range(&name).unwrap();
            let merged = wb.merge_cells_by_sheet_name(&name).unwrap_or_default();
            let (sr, sc) = range.start().map_or((0, 0), |(r, c)| (r as usize, c as usize));
            let mut t = Table { hints: SourceHints { typed: true, ..Default::default() }, ..Default::default() };
            for row in range.rows() {
                t.rows.push(
                    row.iter()
                        .map(|d| match d {
                            Data::String(s) => Cell::text(s),
                            Data::Empty => Cell::Empty,
                            o => Cell::Text(format!("#{o}")),
                        })
                        .collect(),
                );
            }
            let regions: Vec<_> = merged
                .iter()
                .map(|m| {
                    (
                        ((m.start.0 as usize - sr), m.start.1 as usize - sc),
                        (m.end.0 as usize - sr, m.end.1 as usize - sc),
                    )
                })
                .collect();
            t.fill_merged(&regions);
            for r in 0..t.rows.len().min(12) {
                eprintln!("{r}: {:?} {:?}", t.rows[r], fields_of_row(&t, r));
            }
            eprintln!("{path} {name}: {:#?}", find_header(&t).map(|l| (l.columns, l.header_rows, l.preamble)));
        }
    }
}
