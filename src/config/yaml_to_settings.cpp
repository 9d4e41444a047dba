// SPDX-License-Identifier: Apache-2.0
#include "config/yaml_to_settings.h"

#include <yaml-cpp/eventhandler.h>
#include <yaml-cpp/exceptions.h>
#include <yaml-cpp/mark.h>
#include <yaml-cpp/parser.h>

#include <map>
#include <sstream>
#include <unordered_map>
#include <vector>

namespace meterd {
namespace {

// Aliases are expanded by copying, so a "billion laughs" document could exhaust memory; a
// real config has a few thousand nodes.
constexpr std::size_t kMaxNodes = 1'000'000;

std::size_t count_nodes(const SettingsNode& node) {
  std::size_t n = 1;
  for (const auto& entry : node.entries) n += count_nodes(entry.value);
  for (const auto& item : node.items) n += count_nodes(item);
  return n;
}

// Builds the tree from parser events. yaml-cpp's own node API would keep duplicate keys but
// loses the position of each key; the events carry a mark for every node.
class TreeBuilder : public YAML::EventHandler {
 public:
  TreeBuilder(std::string file, ConfigErrors& errors) : file_(std::move(file)), errors_(errors) {}

  SettingsNode take_root() { return std::move(root_); }
  bool too_large() const { return too_large_; }
  const SourcePos& document_pos() const { return document_pos_; }

  void OnDocumentStart(const YAML::Mark& mark) override { document_pos_ = to_pos(mark); }
  void OnDocumentEnd() override {}

  void OnNull(const YAML::Mark& mark, YAML::anchor_t anchor) override {
    SettingsNode node;
    node.pos = to_pos(mark);
    complete(std::move(node), anchor);
  }

  void OnAlias(const YAML::Mark& mark, YAML::anchor_t anchor) override {
    auto it = anchors_.find(anchor);
    SettingsNode node;
    node.pos = to_pos(mark);
    if (it != anchors_.end()) {
      node_count_ += it->second.second;
      if (node_count_ > kMaxNodes) too_large_ = true;
      if (!too_large_) node = it->second.first;
    }
    complete(std::move(node), 0);
  }

  void OnScalar(const YAML::Mark& mark, const std::string& /*tag*/, YAML::anchor_t anchor,
                const std::string& value) override {
    SettingsNode node;
    node.kind = SettingsNode::Kind::kScalar;
    node.pos = to_pos(mark);
    node.scalar = value;
    complete(std::move(node), anchor);
  }

  void OnSequenceStart(const YAML::Mark& mark, const std::string& /*tag*/, YAML::anchor_t anchor,
                       YAML::EmitterStyle::value /*style*/) override {
    open(SettingsNode::Kind::kSequence, mark, anchor);
  }
  void OnSequenceEnd() override { close(); }

  void OnMapStart(const YAML::Mark& mark, const std::string& /*tag*/, YAML::anchor_t anchor,
                  YAML::EmitterStyle::value /*style*/) override {
    open(SettingsNode::Kind::kMap, mark, anchor);
  }
  void OnMapEnd() override { close(); }

 private:
  struct Frame {
    SettingsNode node;
    YAML::anchor_t anchor = 0;
    // Maps only: the key waiting for its value, and where each key was first seen.
    bool has_key = false;
    bool key_usable = false;
    std::string key;
    SourcePos key_pos;
    std::unordered_map<std::string, int> first_line;
  };

  SourcePos to_pos(const YAML::Mark& mark) const { return {file_, mark.line + 1, mark.column + 1}; }

  void open(SettingsNode::Kind kind, const YAML::Mark& mark, YAML::anchor_t anchor) {
    Frame frame;
    frame.node.kind = kind;
    frame.node.pos = to_pos(mark);
    frame.anchor = anchor;
    stack_.push_back(std::move(frame));
  }

  void close() {
    Frame frame = std::move(stack_.back());
    stack_.pop_back();
    complete(std::move(frame.node), frame.anchor);
  }

  // A node is finished: remember it for aliases, then hand it to its parent.
  void complete(SettingsNode node, YAML::anchor_t anchor) {
    if (++node_count_ > kMaxNodes) too_large_ = true;
    if (anchor != 0 && !too_large_) anchors_[anchor] = {node, count_nodes(node)};
    if (stack_.empty()) {
      root_ = std::move(node);
      return;
    }
    Frame& parent = stack_.back();
    if (parent.node.is_sequence()) {
      parent.node.items.push_back(std::move(node));
    } else if (!parent.has_key) {
      take_key(parent, node);
    } else {
      parent.has_key = false;
      if (parent.key_usable) {
        parent.node.entries.push_back({parent.key, parent.key_pos, std::move(node)});
      }
    }
  }

  void take_key(Frame& map, const SettingsNode& key) {
    map.has_key = true;
    map.key_usable = false;
    if (!key.is_scalar()) {
      errors_.add(key.pos, std::string("map keys must be plain strings, not a ") +
                               (key.is_null() ? "null" : key.kind_name()));
      return;
    }
    auto [it, inserted] = map.first_line.emplace(key.scalar, key.pos.line);
    if (!inserted) {
      errors_.add(key.pos, "duplicate key '" + key.scalar + "' (first at line " +
                               std::to_string(it->second) + ")");
      return;
    }
    map.key_usable = true;
    map.key = key.scalar;
    map.key_pos = key.pos;
  }

  std::string file_;
  ConfigErrors& errors_;
  std::vector<Frame> stack_;
  SettingsNode root_;
  SourcePos document_pos_;
  std::map<YAML::anchor_t, std::pair<SettingsNode, std::size_t>> anchors_;
  std::size_t node_count_ = 0;
  bool too_large_ = false;
};

}  // namespace

std::optional<SettingsNode> yaml_to_settings(const std::string& text, const std::string& file,
                                             ConfigErrors& errors) {
  std::istringstream in(text);
  ConfigErrors found;
  TreeBuilder builder(file, found);
  try {
    YAML::Parser parser(in);
    if (!parser.HandleNextDocument(builder)) {
      SettingsNode empty;
      empty.pos = {file, 1, 1};
      return empty;
    }
    SettingsNode root = builder.take_root();
    if (builder.too_large()) {
      errors.add({file, 1, 1}, "document too large (more than 1000000 nodes after aliases)");
      return std::nullopt;
    }
    TreeBuilder extra(file, found);
    if (parser.HandleNextDocument(extra)) {
      found.add(extra.document_pos(), "only one YAML document is allowed");
    }
    errors.append(found);
    return root;
  } catch (const YAML::Exception& e) {
    SourcePos pos{file, 0, 0};
    if (!e.mark.is_null()) pos = {file, e.mark.line + 1, e.mark.column + 1};
    errors.append(found);
    errors.add(pos, "YAML syntax error: " + e.msg);
    return std::nullopt;
  }
}

}  // namespace meterd
