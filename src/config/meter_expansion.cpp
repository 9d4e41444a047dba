// SPDX-License-Identifier: Apache-2.0
#include "config/meter_expansion.h"

#include <cctype>

#include "core/settings_reader.h"

namespace meterd {
namespace {

constexpr std::int64_t kMaxCount = 10'000;

// Matches a placeholder at `at`; sets its length and zero-pad width (0 for plain `{n}`).
bool match_placeholder(const std::string& text, std::size_t at, std::size_t& length, int& width) {
  if (text.compare(at, 3, "{n}") == 0) {
    length = 3;
    width = 0;
    return true;
  }
  // {n:0W} with W one or two digits
  if (text.compare(at, 4, "{n:0") != 0) return false;
  std::size_t i = at + 4;
  int w = 0;
  while (i < text.size() && i < at + 6 && std::isdigit(static_cast<unsigned char>(text[i]))) {
    w = w * 10 + (text[i] - '0');
    ++i;
  }
  if (i == at + 4 || i >= text.size() || text[i] != '}') return false;
  length = i + 1 - at;
  width = w;
  return true;
}

void substitute_all(SettingsNode& node, std::int64_t n) {
  if (node.is_scalar()) node.scalar = substitute_counter(node.scalar, n);
  for (auto& entry : node.entries) substitute_all(entry.value, n);
  for (auto& item : node.items) substitute_all(item, n);
}

std::int64_t count_nodes(const SettingsNode& node) {
  std::int64_t n = 1;
  for (const auto& entry : node.entries) n += count_nodes(entry.value);
  for (const auto& item : node.items) n += count_nodes(item);
  return n;
}

// Takes `count` copies of `template_entry` from `budget`; reports at `at` when it cannot.
bool take_from_budget(std::int64_t count, const SettingsNode& template_entry,
                      ExpansionBudget& budget, const SourcePos& at, ConfigErrors& errors) {
  const std::string what = "'count' = " + std::to_string(count);
  if (count > budget.meters) {
    errors.add(at, what + " takes the file past " + std::to_string(ExpansionBudget::kMaxMeters) +
                       " meters");
    return false;
  }
  // count <= kMaxCount and a tree has at most a few million nodes: no overflow.
  const std::int64_t nodes = count * count_nodes(template_entry);
  if (nodes > budget.nodes) {
    errors.add(at, what + " copies this entry into " + std::to_string(nodes) +
                       " settings nodes, past the file's limit of " +
                       std::to_string(ExpansionBudget::kMaxNodes));
    return false;
  }
  budget.meters -= count;
  budget.nodes -= nodes;
  return true;
}

SettingsNode without_counter_keys(const SettingsNode& entry) {
  SettingsNode out = entry;
  std::erase_if(out.entries,
                [](const SettingsNode::Entry& e) { return e.key == "count" || e.key == "first"; });
  return out;
}

}  // namespace

bool has_counter(const std::string& text) {
  std::size_t length = 0;
  int width = 0;
  for (std::size_t at = text.find('{'); at != std::string::npos; at = text.find('{', at + 1)) {
    if (match_placeholder(text, at, length, width)) return true;
  }
  return false;
}

std::string substitute_counter(const std::string& text, std::int64_t n) {
  std::string out;
  std::size_t at = 0;
  while (at < text.size()) {
    std::size_t length = 0;
    int width = 0;
    if (text[at] == '{' && match_placeholder(text, at, length, width)) {
      std::string digits = std::to_string(n);
      if (static_cast<int>(digits.size()) < width) {
        digits.insert(0, static_cast<std::size_t>(width) - digits.size(), '0');
      }
      out += digits;
      at += length;
    } else {
      out += text[at++];
    }
  }
  return out;
}

std::vector<SettingsNode> expand_meter_entry(const SettingsNode& entry, ConfigErrors& errors) {
  ExpansionBudget budget;
  return expand_meter_entry(entry, errors, budget);
}

std::vector<SettingsNode> expand_meter_entry(const SettingsNode& entry, ConfigErrors& errors,
                                             ExpansionBudget& budget) {
  // A malformed entry is reported by the meter reader; nothing to expand here.
  if (!entry.is_map() || (!entry.find("count") && !entry.find("first"))) {
    budget.meters -= 1;
    return {entry};
  }

  SettingsReader reader(entry, errors, "meter");
  const SettingsNode template_entry = without_counter_keys(entry);
  if (!reader.has("count")) {
    errors.add(entry.find("first")->pos, "'first' needs 'count'");
    return {template_entry};
  }
  const std::size_t before = errors.size();
  const std::int64_t count = reader.required_integer("count", 1, kMaxCount);
  const std::int64_t first = reader.integer("first", 1, 0, 1'000'000'000);
  const SettingsNode* id = entry.find("id");
  if (id && id->is_scalar() && !has_counter(id->scalar)) {
    errors.add(id->pos, "'id' must contain {n} when 'count' is set, got '" + id->scalar + "'");
  }
  if (errors.size() == before) {
    take_from_budget(count, template_entry, budget, entry.find("count")->pos, errors);
  }
  if (errors.size() != before) {
    // One meter still goes on, so the rest of the entry is validated too.
    SettingsNode once = template_entry;
    substitute_all(once, first);
    return {once};
  }

  std::vector<SettingsNode> out;
  out.reserve(static_cast<std::size_t>(count));
  for (std::int64_t n = first; n < first + count; ++n) {
    out.push_back(template_entry);
    substitute_all(out.back(), n);
  }
  return out;
}

}  // namespace meterd
