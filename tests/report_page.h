/* report_page.h — reading `scenario report`'s page back in tests: the cells
 * of its comparison table (data-lab rows, data-col cells). */
#ifndef OCSPLAB_TESTS_REPORT_PAGE_H
#define OCSPLAB_TESTS_REPORT_PAGE_H

/* The text of cell `col` ("users", "bytes", …) in the row of lab `lab`, with
 * the thousands' commas dropped ("16,000" -> "16000"). Static storage,
 * overwritten per call; the test fails when the row or cell is missing. */
const char *report_page_cell(const char *page, const char *lab, const char *col);

#endif
