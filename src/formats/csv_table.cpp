#include "sih/formats/csv_table.hpp"

#include <fstream>
#include <sstream>

#include "sih/base/input_file.hpp"

namespace sih {
namespace {

std::vector<std::string> split_commas(const std::string& line) {
  std::vector<std::string> out;
  std::string cell;
  for (const char c : line) {
    if (c == ',') {
      out.push_back(cell);
      cell.clear();
    } else if (c != '\r') {
      cell += c;
    }
  }
  out.push_back(cell);
  return out;
}

}  // namespace

int CsvTable::col(const std::string& name) const {
  for (std::size_t i = 0; i < header.size(); ++i)
    if (header[i] == name) return static_cast<int>(i);
  return -1;
}

std::string CsvTable::at(std::size_t r, int c) const {
  return c >= 0 && static_cast<std::size_t>(c) < rows[r].size() ? rows[r][c] : "";
}

namespace {

CsvTable parse_lines(std::istream& in) {
  CsvTable t;
  std::string line;
  if (!std::getline(in, line)) return t;
  t.header = split_commas(line);
  while (std::getline(in, line)) {
    if (line.find_first_not_of(" \t\r") == std::string::npos) continue;
    t.rows.push_back(split_commas(line));
  }
  return t;
}

}  // namespace

std::optional<CsvTable> read_csv_table(const std::string& path) {
  require_regular_file(path);
  std::ifstream in(path);
  if (!in) return std::nullopt;
  return parse_lines(in);
}

CsvTable parse_csv_table(const std::string& text) {
  std::istringstream in(text);
  return parse_lines(in);
}

std::optional<CsvTable> parse_quoted_csv_table(const std::string& text) {
  CsvTable t;
  std::vector<std::string> row;
  std::string cell;
  bool quoted = false, any = false;  // inside quotes; the row has a character or a comma
  const auto end_row = [&] {
    if (any) {
      row.push_back(cell);
      if (t.header.empty())
        t.header = std::move(row);
      else
        t.rows.push_back(std::move(row));
    }
    row.clear();
    cell.clear();
    any = false;
  };
  for (std::size_t i = 0; i < text.size(); ++i) {
    const char c = text[i];
    if (quoted) {
      if (c != '"')
        cell += c;
      else if (i + 1 < text.size() && text[i + 1] == '"')
        cell += text[++i];
      else
        quoted = false;
    } else if (c == '"') {
      quoted = any = true;
    } else if (c == ',') {
      row.push_back(cell);
      cell.clear();
      any = true;
    } else if (c == '\n') {
      end_row();
    } else if (c != '\r') {
      cell += c;
      any = any || (c != ' ' && c != '\t');
    }
  }
  if (quoted) return std::nullopt;
  end_row();
  return t;
}

std::string csv_field(const std::string& s) {
  if (s.find_first_of(",\"\n") == std::string::npos) return s;
  std::string quoted = "\"";
  for (char c : s) quoted += c == '"' ? std::string("\"\"") : std::string(1, c);
  return quoted + "\"";
}

}  // namespace sih
