#pragma once
// A CSV file as sih writes it (a header line, comma-separated cells, no quoting), read whole:
// the sweep merge reads run folders' metrics.csv with it, the report every table it shows.
#include <optional>
#include <string>
#include <vector>

namespace sih {

struct CsvTable {
  std::vector<std::string> header;  // empty when the file has no line at all
  std::vector<std::vector<std::string>> rows;
  // Index of a column, -1 when absent.
  int col(const std::string& name) const;
  // The cell of row r in column c, "" when the column is absent or the row short.
  std::string at(std::size_t r, int c) const;
};

// nullopt when the file cannot be opened. Carriage returns are dropped and blank lines
// skipped.
std::optional<CsvTable> read_csv_table(const std::string& path);
// The same for text already read (the run-folder reader reads files itself to report errors).
CsvTable parse_csv_table(const std::string& text);
// RFC 4180 CSV: a cell may be quoted ("a,b", "say ""hi""", a line break inside quotes), as
// `sih analyze` writes names and paths (csv_field). Blank lines are skipped; nullopt when a
// quote is left open at the end of the text.
std::optional<CsvTable> parse_quoted_csv_table(const std::string& text);

// One text cell written for that reader: as is, or quoted (inner quotes doubled) when it holds
// a comma, a quote or a line break. analyze.csv's names and paths, claims.csv's texts.
std::string csv_field(const std::string& s);

}  // namespace sih
