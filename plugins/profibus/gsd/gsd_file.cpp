// SPDX-License-Identifier: Apache-2.0
#include "profibus/gsd/gsd_file.h"

#include <algorithm>
#include <cctype>
#include <fstream>
#include <sstream>

namespace meterd::profibus {

namespace {

constexpr std::pair<const char*, int> kBauds[] = {
    {"9.6", 9600},    {"19.2", 19200},   {"31.25", 31250}, {"45.45", 45450},
    {"93.75", 93750}, {"187.5", 187500}, {"500", 500000},  {"1.5M", 1500000},
    {"3M", 3000000},  {"6M", 6000000},   {"12M", 12000000}};

std::string lower(std::string_view s) {
  std::string out(s);
  std::transform(out.begin(), out.end(), out.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return out;
}

// One logical line: continuation lines joined, comments dropped; `columns` maps each
// character back to its column (1-based) and `lines` to its line.
struct LogicalLine {
  std::string text;
  std::vector<int> lines;
  std::vector<int> columns;
};

std::vector<LogicalLine> logical_lines(std::string_view text) {
  std::vector<LogicalLine> out;
  LogicalLine current;
  int line = 1;
  std::size_t at = 0;
  while (at <= text.size()) {
    const std::size_t end = std::min(text.find('\n', at), text.size());
    std::string_view raw = text.substr(at, end - at);
    if (!raw.empty() && raw.back() == '\r') raw.remove_suffix(1);
    // Drop a comment (';' outside quotes).
    bool quoted = false;
    std::size_t cut = raw.size();
    for (std::size_t i = 0; i < raw.size(); ++i) {
      if (raw[i] == '"') quoted = !quoted;
      if (raw[i] == ';' && !quoted) {
        cut = i;
        break;
      }
    }
    std::string_view body = raw.substr(0, cut);
    while (!body.empty() && std::isspace(static_cast<unsigned char>(body.back()))) {
      body.remove_suffix(1);
    }
    const bool continues = !body.empty() && body.back() == '\\';
    if (continues) body.remove_suffix(1);
    for (std::size_t i = 0; i < body.size(); ++i) {
      current.text += body[i];
      current.lines.push_back(line);
      current.columns.push_back(static_cast<int>(i + 1));
    }
    if (!continues) {
      out.push_back(std::move(current));
      current = {};
    } else {
      current.text += ' ';
      current.lines.push_back(line);
      current.columns.push_back(static_cast<int>(body.size() + 1));
    }
    if (end == text.size()) break;
    at = end + 1;
    ++line;
  }
  if (!current.text.empty()) out.push_back(std::move(current));
  return out;
}

class Parser {
 public:
  Parser(const std::string& file, ConfigErrors& errors) : file_(file), errors_(errors) {}

  std::optional<GsdFile> parse(std::string_view text);

 private:
  SourcePos pos(const LogicalLine& l, std::size_t index) const {
    if (l.lines.empty()) return {file_, 1, 1};
    index = std::min(index, l.lines.size() - 1);
    return {file_, l.lines[index], l.columns[index]};
  }
  void error(const LogicalLine& l, std::size_t index, const std::string& message) {
    errors_.add(pos(l, index), message);
    failed_ = true;
  }
  // A number (decimal or 0x hex) at `at`; advances past it.
  std::optional<long> number(const LogicalLine& l, std::size_t& at, const std::string& what);
  // Comma-separated bytes from `at` to the end.
  std::optional<std::vector<std::uint8_t>> byte_list(const LogicalLine& l, std::size_t at,
                                                     const std::string& what);
  std::optional<std::string> quoted(const LogicalLine& l, std::size_t& at);
  void skip_space(const LogicalLine& l, std::size_t& at) const {
    while (at < l.text.size() && std::isspace(static_cast<unsigned char>(l.text[at]))) ++at;
  }
  void place(std::vector<std::uint8_t>& prm, long offset, const std::vector<std::uint8_t>& bytes);
  void ext_prm_ref(const LogicalLine& l, std::size_t value_at, long offset,
                   std::vector<std::uint8_t>& prm);
  void ext_prm_def(const std::vector<LogicalLine>& lines, std::size_t& i, std::size_t value_at);

  std::string file_;
  ConfigErrors& errors_;
  bool failed_ = false;
  // ExtUserPrmData reference number -> its default bytes and bit placement.
  struct PrmDef {
    std::vector<std::uint8_t> bytes;  // for UnsignedN/SignedN: big-endian default
    int first_bit = -1;               // for Bit/BitArea: the bits, value placed there
    int last_bit = -1;
    long value = 0;
  };
  std::map<long, PrmDef> defs_;
};

std::optional<long> Parser::number(const LogicalLine& l, std::size_t& at, const std::string& what) {
  skip_space(l, at);
  const std::size_t start = at;
  int base = 10;
  if (at + 1 < l.text.size() && l.text[at] == '0' &&
      (l.text[at + 1] == 'x' || l.text[at + 1] == 'X')) {
    base = 16;
    at += 2;
  }
  long value = 0;
  std::size_t digits = 0;
  bool negative = false;
  if (base == 10 && at < l.text.size() && l.text[at] == '-') {
    negative = true;
    ++at;
  }
  while (at < l.text.size() && std::isxdigit(static_cast<unsigned char>(l.text[at]))) {
    const char c = static_cast<char>(std::tolower(static_cast<unsigned char>(l.text[at])));
    const int digit = std::isdigit(static_cast<unsigned char>(c)) ? c - '0' : c - 'a' + 10;
    if (digit >= base) break;
    value = value * base + digit;
    if (value > 0xFFFFFFFFL) {
      error(l, start, what + ": number too large");
      return std::nullopt;
    }
    ++digits;
    ++at;
  }
  if (digits == 0) {
    error(l, start, what + ": expected a number");
    return std::nullopt;
  }
  return negative ? -value : value;
}

std::optional<std::vector<std::uint8_t>> Parser::byte_list(const LogicalLine& l, std::size_t at,
                                                           const std::string& what) {
  std::vector<std::uint8_t> out;
  for (;;) {
    skip_space(l, at);
    if (at >= l.text.size()) break;
    const std::size_t start = at;
    auto value = number(l, at, what);
    if (!value) return std::nullopt;
    if (*value < 0 || *value > 255) {
      error(l, start, what + ": " + std::to_string(*value) + " is not a byte");
      return std::nullopt;
    }
    out.push_back(static_cast<std::uint8_t>(*value));
    skip_space(l, at);
    if (at >= l.text.size()) break;
    if (l.text[at] != ',') {
      error(l, at, what + ": expected ',' between bytes");
      return std::nullopt;
    }
    ++at;
  }
  return out;
}

std::optional<std::string> Parser::quoted(const LogicalLine& l, std::size_t& at) {
  skip_space(l, at);
  if (at >= l.text.size() || l.text[at] != '"') {
    error(l, at, "expected a quoted name");
    return std::nullopt;
  }
  const std::size_t close = l.text.find('"', at + 1);
  if (close == std::string::npos) {
    error(l, at, "unterminated string");
    return std::nullopt;
  }
  std::string out = l.text.substr(at + 1, close - at - 1);
  at = close + 1;
  return out;
}

void Parser::place(std::vector<std::uint8_t>& prm, long offset,
                   const std::vector<std::uint8_t>& bytes) {
  const auto need = static_cast<std::size_t>(offset) + bytes.size();
  if (prm.size() < need) prm.resize(need, 0);
  std::copy(bytes.begin(), bytes.end(), prm.begin() + offset);
}

void Parser::ext_prm_ref(const LogicalLine& l, std::size_t value_at, long offset,
                         std::vector<std::uint8_t>& prm) {
  std::size_t at = value_at;
  auto ref = number(l, at, "Ext_User_Prm_Data_Ref");
  if (!ref) return;
  auto it = defs_.find(*ref);
  if (it == defs_.end()) {
    error(
        l, value_at,
        "Ext_User_Prm_Data_Ref: no ExtUserPrmData " + std::to_string(*ref) + " defined before it");
    return;
  }
  const PrmDef& def = it->second;
  if (def.first_bit < 0) return place(prm, offset, def.bytes);
  if (prm.size() <= static_cast<std::size_t>(offset)) prm.resize(offset + 1, 0);
  const int width = def.last_bit - def.first_bit + 1;
  const unsigned mask = ((1u << width) - 1u) << def.first_bit;
  prm[offset] = static_cast<std::uint8_t>(
      (prm[offset] & ~mask) | ((static_cast<unsigned>(def.value) << def.first_bit) & mask));
}

// ExtUserPrmData = <ref> "name" / <type> <default> <range> / EndExtUserPrmData
void Parser::ext_prm_def(const std::vector<LogicalLine>& lines, std::size_t& i,
                         std::size_t value_at) {
  const LogicalLine& head = lines[i];
  std::size_t at = value_at;
  auto ref = number(head, at, "ExtUserPrmData");
  if (!ref) return;
  PrmDef def;
  bool typed = false;
  for (++i; i < lines.size(); ++i) {
    const LogicalLine& l = lines[i];
    std::string t = l.text;
    std::size_t p = 0;
    skip_space(l, p);
    const std::string word = lower(t.substr(p, t.find_first_of(" \t(", p) - p));
    if (word == "endextuserprmdata") break;
    if (typed || word.empty() || word == "prm_text_ref" || word == "changeable" ||
        word == "visible") {
      continue;
    }
    std::size_t q = p + word.size();
    int bytes = 0;
    if (word == "unsigned8" || word == "signed8") bytes = 1;
    if (word == "unsigned16" || word == "signed16") bytes = 2;
    if (word == "unsigned32" || word == "signed32") bytes = 4;
    if (bytes > 0) {
      auto value = number(l, q, word + " default");
      if (!value) return;
      for (int b = bytes - 1; b >= 0; --b) {
        def.bytes.push_back(static_cast<std::uint8_t>((*value >> (8 * b)) & 0xFF));
      }
      typed = true;
      continue;
    }
    if (word == "bit" || word == "bitarea") {
      if (q >= t.size() || t[q] != '(') {
        error(l, q, word + ": expected '('");
        return;
      }
      ++q;
      auto first = number(l, q, word);
      if (!first) return;
      long last = *first;
      if (word == "bitarea") {
        if (q >= t.size() || t[q] != '-') {
          error(l, q, "BitArea: expected first-last");
          return;
        }
        ++q;
        auto l2 = number(l, q, word);
        if (!l2) return;
        last = *l2;
      }
      if (q >= t.size() || t[q] != ')' || *first < 0 || last > 7 || last < *first) {
        error(l, q, word + ": bits 0..7 expected");
        return;
      }
      ++q;
      auto value = number(l, q, word + " default");
      if (!value) return;
      def.first_bit = static_cast<int>(*first);
      def.last_bit = static_cast<int>(last);
      def.value = *value;
      typed = true;
      continue;
    }
    error(l, p, "ExtUserPrmData: unknown data type '" + word + "'");
    return;
  }
  if (i >= lines.size()) {
    error(head, 0, "ExtUserPrmData without EndExtUserPrmData");
    return;
  }
  defs_[*ref] = std::move(def);
}

std::optional<GsdFile> Parser::parse(std::string_view text) {
  const std::vector<LogicalLine> lines = logical_lines(text);
  GsdFile gsd;
  gsd.path = file_;
  bool header = false;
  bool has_ident = false;
  bool has_user_prm_data = false;
  std::vector<std::uint8_t> ext_prm;
  bool has_ext_prm = false;
  std::map<int, bool> supported;
  std::map<int, int> tsdr;
  for (std::size_t i = 0; i < lines.size(); ++i) {
    const LogicalLine& l = lines[i];
    std::size_t p = 0;
    skip_space(l, p);
    if (p >= l.text.size()) continue;
    if (l.text[p] == '#') {
      if (lower(l.text.substr(p)).starts_with("#profibus_dp")) header = true;
      continue;
    }
    const std::size_t eq = l.text.find('=', p);
    std::string key = l.text.substr(p, (eq == std::string::npos ? l.text.size() : eq) - p);
    while (!key.empty() && std::isspace(static_cast<unsigned char>(key.back()))) key.pop_back();
    const std::string k = lower(key);
    if (eq == std::string::npos) {
      if (k == "endmodule" || k == "endprmtext" || k == "endextuserprmdata") continue;
      continue;  // lines without '=' outside blocks: other keyword families
    }
    const std::size_t v = eq + 1;
    std::size_t at = v;
    // Keyword(index) = value
    long index = -1;
    std::string base = k;
    if (const auto open = k.find('('); open != std::string::npos && k.back() == ')') {
      base = k.substr(0, open);
      try {
        index = std::stol(k.substr(open + 1, k.size() - open - 2), nullptr, 0);
      } catch (...) {
        error(l, p + open + 1, key + ": bad index");
        continue;
      }
    }
    if (base == "ident_number") {
      auto n = number(l, at, "Ident_Number");
      if (n && (*n < 0 || *n > 0xFFFF)) error(l, v, "Ident_Number must fit 16 bits");
      if (n) gsd.ident = static_cast<std::uint16_t>(*n);
      has_ident = has_ident || n.has_value();
    } else if (base == "vendor_name" || base == "model_name") {
      if (auto s = quoted(l, at)) (base == "vendor_name" ? gsd.vendor : gsd.model) = *s;
    } else if (base == "min_slave_intervall") {
      if (auto n = number(l, at, key)) gsd.min_slave_interval_100us = static_cast<int>(*n);
    } else if (base == "modular_station") {
      if (auto n = number(l, at, key)) gsd.modular = *n != 0;
    } else if (base == "max_module") {
      if (auto n = number(l, at, key)) gsd.max_module = static_cast<int>(*n);
    } else if (base.ends_with("_supp") || base.starts_with("maxtsdr_")) {
      const bool supp = base.ends_with("_supp");
      const std::string rate =
          supp ? key.substr(0, base.size() - 5) : key.substr(8, base.size() - 8);
      int baud = 0;
      for (const auto& [name, b] : kBauds) {
        if (lower(name) == lower(rate)) baud = b;
      }
      if (baud == 0) continue;  // a keyword like Freeze_Mode_supp
      auto n = number(l, at, key);
      if (!n) continue;
      if (supp) supported[baud] = *n != 0;
      if (!supp) tsdr[baud] = static_cast<int>(*n);
    } else if (base == "user_prm_data") {
      if (auto bytes = byte_list(l, at, key)) {
        gsd.user_prm = *bytes;
        has_user_prm_data = true;
      }
    } else if (base == "extuserprmdata") {
      ext_prm_def(lines, i, v);
    } else if (base == "ext_user_prm_data_const" || base == "ext_user_prm_data_ref") {
      if (index < 0 || index > 237) {
        error(l, p, key + ": offset 0..237 expected");
        continue;
      }
      if (base == "ext_user_prm_data_const") {
        if (auto bytes = byte_list(l, at, key)) place(ext_prm, index, *bytes);
      } else {
        ext_prm_ref(l, v, index, ext_prm);
      }
      has_ext_prm = true;
    } else if (base == "module") {
      GsdModule module;
      module.pos = pos(l, v);
      skip_space(l, at);
      module.pos = pos(l, at);
      auto name = quoted(l, at);
      if (!name) continue;
      module.name = *name;
      auto cfg = byte_list(l, at, "Module \"" + *name + "\"");
      if (!cfg) continue;
      if (cfg->empty()) error(l, at, "Module \"" + *name + "\" has no cfg bytes");
      module.cfg = *cfg;
      // The module's own lines, up to EndModule.
      bool ended = false;
      for (++i; i < lines.size(); ++i) {
        const LogicalLine& m = lines[i];
        std::size_t mp = 0;
        skip_space(m, mp);
        const std::string mline = lower(m.text.substr(mp));
        if (mline.starts_with("endmodule")) {
          ended = true;
          break;
        }
        const std::size_t meq = m.text.find('=');
        if (meq == std::string::npos) continue;  // the module reference number
        std::string mk = lower(m.text.substr(mp, meq - mp));
        while (!mk.empty() && std::isspace(static_cast<unsigned char>(mk.back()))) mk.pop_back();
        const auto open = mk.find('(');
        if (open == std::string::npos) continue;
        long offset = -1;
        try {
          offset = std::stol(mk.substr(open + 1), nullptr, 0);
        } catch (...) {
        }
        if (offset < 0 || offset > 237) {
          error(m, mp, "module parameter offset 0..237 expected");
          continue;
        }
        const std::string mbase = mk.substr(0, open);
        if (mbase == "ext_user_prm_data_const") {
          if (auto bytes = byte_list(m, meq + 1, mk)) place(module.prm, offset, *bytes);
        } else if (mbase == "ext_user_prm_data_ref") {
          ext_prm_ref(m, meq + 1, offset, module.prm);
        }
      }
      if (!ended) {
        error(l, p, "Module \"" + module.name + "\" without EndModule");
        break;
      }
      if (gsd.find_module(module.name)) {
        error(l, module.pos.column - 1, "Module \"" + module.name + "\" defined twice");
        continue;
      }
      gsd.modules.push_back(std::move(module));
    }
  }
  const SourcePos top{file_, 1, 1};
  if (!header) errors_.add(top, "not a GSD file: no #Profibus_DP line");
  if (!has_ident) errors_.add(top, "GSD file has no Ident_Number");
  if (gsd.modules.empty()) errors_.add(top, "GSD file defines no Module");
  failed_ = failed_ || !header || !has_ident || gsd.modules.empty();
  if (has_ext_prm) {
    gsd.user_prm = ext_prm;
  } else if (!has_user_prm_data) {
    gsd.user_prm.clear();
  }
  for (const auto& [baud, on] : supported) {
    if (on) gsd.max_tsdr[baud] = tsdr.contains(baud) ? tsdr[baud] : 0;
  }
  if (failed_) return std::nullopt;
  return gsd;
}

}  // namespace

const GsdModule* GsdFile::find_module(std::string_view name) const {
  for (const auto& m : modules) {
    if (m.name == name) return &m;
  }
  return nullptr;
}

std::string gsd_baud_name(int baud) {
  for (const auto& [name, b] : kBauds) {
    if (b == baud) return name;
  }
  return {};
}

std::optional<GsdFile> parse_gsd(std::string_view text, const std::string& file,
                                 ConfigErrors& errors) {
  Parser parser(file, errors);
  return parser.parse(text);
}

std::optional<GsdFile> load_gsd(const std::string& path, const SourcePos& used_at,
                                ConfigErrors& errors) {
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    errors.add(used_at, "cannot read GSD file '" + path + "'");
    return std::nullopt;
  }
  std::ostringstream text;
  text << in.rdbuf();
  // ISO-8859-1: bytes over 0x7F only occur in names and texts, which stay as they are.
  return parse_gsd(text.str(), path, errors);
}

}  // namespace meterd::profibus
