// LoadConfig: reads the user's YAML settings (see config.h and configs/config.yaml).
// Every error names the file and the 1-based line of the offending node.
#include "store/config.h"

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <sys/stat.h>
#include <unistd.h>
#include <vector>

#include <re2/re2.h>
// yaml-cpp 0.7's node/impl.h trips g++ 12's -Wdangling-pointer (a known false positive).
#pragma GCC diagnostic ignored "-Wdangling-pointer"
#include <yaml-cpp/yaml.h>

#include "store/internal.h"

namespace memory {
namespace {

// yaml-cpp marks are 0-based; a null node (missing value) has line -1.
std::string Where(const std::string& file, const YAML::Mark& mark) {
  if (mark.line < 0) return file;
  return file + ":" + std::to_string(mark.line + 1);
}

Status Bad(const std::string& file, const YAML::Node& node, const std::string& what) {
  return Status::InvalidArgument(Where(file, node.Mark()) + ": " + what);
}

const char* TypeName(const YAML::Node& n) {
  switch (n.Type()) {
    case YAML::NodeType::Null: return "nothing";
    case YAML::NodeType::Scalar: return "a single value";
    case YAML::NodeType::Sequence: return "a list";
    case YAML::NodeType::Map: return "a mapping";
    default: return "an undefined node";
  }
}

class Parser {
 public:
  explicit Parser(std::string file) : file_(std::move(file)) {}

  Status Parse(const YAML::Node& root, Config* config) {
    if (root.IsNull()) return Status::OK();  // empty file (or only comments): the defaults
    if (!root.IsMap())
      return Bad(root, std::string("expected a mapping with sections store, privacy, record, models; got ") +
                           TypeName(root));
    return ForEachKey(root, "store, privacy, record, models",
                      [&](const std::string& key, const YAML::Node& value) -> Status {
                        if (key == "store") return ParseStore(value, config);
                        if (key == "privacy") return ParsePrivacy(value, config);
                        if (key == "record") return ParseRecord(value, config);
                        if (key == "models") return ParseModels(value, config);
                        return Unknown();
                      });
  }

 private:
  // Marker returned by a key handler for a key it does not know.
  static Status Unknown() { return Status::NotFound(""); }

  Status Bad(const YAML::Node& node, const std::string& what) const {
    return memory::Bad(file_, node, what);
  }

  // Visits every key of a mapping (null = empty section), rejecting duplicate and unknown keys.
  template <typename Fn>
  Status ForEachKey(const YAML::Node& map, const std::string& known, Fn fn) const {
    std::vector<std::string> seen;
    for (auto it = map.begin(); it != map.end(); ++it) {
      const YAML::Node k = it->first;  // a copy: it-> is a proxy that dies with the statement
      if (!k.IsScalar()) return Bad(k, "expected a plain key name");
      std::string key = k.Scalar();
      for (const auto& s : seen)
        if (s == key) return Bad(k, "duplicate key '" + key + "'");
      seen.push_back(key);
      Status st = fn(key, it->second);
      if (st.IsNotFound() && st.message().empty())
        return Bad(k, "unknown key '" + key + "' (expected one of: " + known + ")");
      MEMORY_RETURN_IF_ERROR(st);
    }
    return Status::OK();
  }

  Status Section(const YAML::Node& node, const std::string& name) const {
    if (node.IsNull() || node.IsMap()) return Status::OK();
    return Bad(node, "'" + name + "' must be a mapping, got " + TypeName(node));
  }

  Status Bool(const YAML::Node& node, const std::string& name, bool* out) const {
    bool v = false;
    if (!node.IsScalar() || !YAML::convert<bool>::decode(node, v))
      return Bad(node, "'" + name + "' must be true or false");
    *out = v;
    return Status::OK();
  }

  Status PositiveInt(const YAML::Node& node, const std::string& name, size_t* out, bool allow_zero = false) const {
    const std::string what = "'" + name + "' must be a " + (allow_zero ? "non-negative" : "positive") + " integer";
    if (!node.IsScalar()) return Bad(node, what);
    const std::string& s = node.Scalar();
    if (s.empty() || s.size() > 18) return Bad(node, what);
    size_t v = 0;
    for (char c : s) {
      if (c < '0' || c > '9') return Bad(node, what + ", got '" + s + "'");
      v = v * 10 + static_cast<size_t>(c - '0');
    }
    if (v == 0 && !allow_zero) return Bad(node, what);
    *out = v;
    return Status::OK();
  }

  Status String(const YAML::Node& node, const std::string& name, std::string* out) const {
    if (!node.IsScalar() || node.Scalar().empty())
      return Bad(node, "'" + name + "' must be a non-empty string");
    *out = node.Scalar();
    return Status::OK();
  }

  Status ParseStore(const YAML::Node& node, Config* c) const {
    MEMORY_RETURN_IF_ERROR(Section(node, "store"));
    if (node.IsNull()) return Status::OK();
    return ForEachKey(node, "sync", [&](const std::string& key, const YAML::Node& v) -> Status {
      if (key == "sync") return Bool(v, "store.sync", &c->sync);
      return Unknown();
    });
  }

  Status ParseRecord(const YAML::Node& node, Config* c) const {
    MEMORY_RETURN_IF_ERROR(Section(node, "record"));
    if (node.IsNull()) return Status::OK();
    return ForEachKey(node, "max_command_bytes",
                      [&](const std::string& key, const YAML::Node& v) -> Status {
                        if (key == "max_command_bytes")
                          return PositiveInt(v, "record.max_command_bytes", &c->max_command_bytes);
                        return Unknown();
                      });
  }

  Status ParseModels(const YAML::Node& node, Config* c) const {
    MEMORY_RETURN_IF_ERROR(Section(node, "models"));
    if (node.IsNull()) return Status::OK();
    return ForEachKey(node, "keep, keep_rollback", [&](const std::string& key, const YAML::Node& v) -> Status {
      if (key == "keep") return PositiveInt(v, "models.keep", &c->models_keep, true);
      if (key == "keep_rollback") return PositiveInt(v, "models.keep_rollback", &c->models_keep_rollback, true);
      return Unknown();
    });
  }

  Status ParsePrivacy(const YAML::Node& node, Config* c) const {
    MEMORY_RETURN_IF_ERROR(Section(node, "privacy"));
    if (node.IsNull()) return Status::OK();
    return ForEachKey(node, "ignore_space_prefixed, ignore, redact",
                      [&](const std::string& key, const YAML::Node& v) -> Status {
                        if (key == "ignore_space_prefixed")
                          return Bool(v, "privacy.ignore_space_prefixed", &c->ignore_space_prefixed);
                        if (key == "ignore") return ParseIgnore(v, c);
                        if (key == "redact") return ParseRedact(v, c);
                        return Unknown();
                      });
  }

  Status ParseIgnore(const YAML::Node& node, Config* c) const {
    if (node.IsNull()) return Status::OK();
    if (!node.IsSequence())
      return Bad(node, "'privacy.ignore' must be a list of glob patterns, got " +
                           std::string(TypeName(node)));
    for (const auto& item : node) {
      std::string glob;
      MEMORY_RETURN_IF_ERROR(String(item, "privacy.ignore entry", &glob));
      c->ignore.push_back(std::move(glob));
    }
    return Status::OK();
  }

  Status ParseRedact(const YAML::Node& node, Config* c) const {
    if (node.IsNull()) return Status::OK();
    if (!node.IsSequence())
      return Bad(node, "'privacy.redact' must be a list of {name, pattern}, got " +
                           std::string(TypeName(node)));
    for (const auto& item : node) {
      if (!item.IsMap())
        return Bad(item, "each 'privacy.redact' entry must be a mapping {name: ..., pattern: ...}");
      RedactionRule rule;
      MEMORY_RETURN_IF_ERROR(ForEachKey(
          item, "name, pattern", [&](const std::string& key, const YAML::Node& v) -> Status {
            if (key == "name") {
              MEMORY_RETURN_IF_ERROR(String(v, "name", &rule.name));
              for (char ch : rule.name) {
                bool ok = (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') ||
                          (ch >= '0' && ch <= '9') || ch == '_' || ch == '-' || ch == '.';
                if (!ok) return Bad(v, "rule name '" + rule.name + "' may only use letters, digits, _ - .");
              }
              return Status::OK();
            }
            if (key == "pattern") {
              MEMORY_RETURN_IF_ERROR(String(v, "pattern", &rule.pattern));
              RE2::Options opts;
              opts.set_log_errors(false);
              RE2 re(rule.pattern, opts);
              if (!re.ok()) return Bad(v, "bad regular expression '" + rule.pattern + "': " + re.error());
              return Status::OK();
            }
            return Unknown();
          }));
      if (rule.name.empty()) return Bad(item, "redaction rule without 'name'");
      if (rule.pattern.empty()) return Bad(item, "redaction rule '" + rule.name + "' without 'pattern'");
      c->redact.push_back(std::move(rule));
    }
    return Status::OK();
  }

  std::string file_;
};

}  // namespace

std::string DefaultConfigPath() {
  const char* xdg = std::getenv("XDG_CONFIG_HOME");
  if (xdg != nullptr && xdg[0] == '/') return std::string(xdg) + "/llmunix-memory/config.yaml";
  return internal::HomeDir() + "/.config/llmunix-memory/config.yaml";
}

Status LoadConfig(const std::string& path, Config* config) {
  *config = Config{};
  const bool is_default = path.empty();
  const std::string file = is_default ? DefaultConfigPath() : path;

  struct stat st{};
  if (stat(file.c_str(), &st) != 0) {
    if (is_default && errno == ENOENT) return Status::OK();
    if (errno == ENOENT) return Status::NotFound(file + ": no such config file");
    return Status::IOError(file + ": " + std::strerror(errno));
  }
  if (S_ISDIR(st.st_mode)) return Status::InvalidArgument(file + ": is a directory, not a config file");
  if (st.st_size > (1 << 20)) return Status::InvalidArgument(file + ": config file larger than 1 MB");

  // At most 1 MB also from what stat() cannot size: a pipe (`--config <(...)`), /dev/zero.
  std::string text;
  if (Status read = internal::ReadFile(file, &text, size_t{1} << 20); !read.ok()) {
    if (read.IsInvalidArgument()) return Status::InvalidArgument(file + ": config file larger than 1 MB");
    return Status::IOError(file + ": cannot read: " + read.message());
  }
  if (size_t nul = text.find('\0'); nul != std::string::npos) {
    size_t line = 1;
    for (size_t i = 0; i < nul; ++i) line += text[i] == '\n';
    return Status::InvalidArgument(file + ":" + std::to_string(line) +
                                   ": binary data (NUL byte) in a YAML config file");
  }

  YAML::Node root;
  try {
    root = YAML::Load(text);
  } catch (const YAML::Exception& e) {
    return Status::InvalidArgument(Where(file, e.mark) + ": bad YAML: " + e.msg);
  }
  Config parsed;
  try {
    MEMORY_RETURN_IF_ERROR(Parser(file).Parse(root, &parsed));
  } catch (const YAML::Exception& e) {  // defensive: yaml-cpp throws on odd node shapes
    return Status::InvalidArgument(Where(file, e.mark) + ": " + e.msg);
  }
  *config = std::move(parsed);
  return Status::OK();
}

}  // namespace memory
