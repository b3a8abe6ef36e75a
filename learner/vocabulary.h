// Vocabulary: interns command texts to dense ids (0, 1, 2, ...) so models work on integers.
#pragma once

#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "learner/model.h"

namespace memory::learner {

class Vocabulary {
 public:
  // Id of `text`, adding it when new.
  CommandId Intern(std::string_view text);
  // Id of `text` or kNoCommand when unknown.
  CommandId Find(std::string_view text) const;
  const std::string& Text(CommandId id) const { return texts_[id]; }
  size_t size() const { return texts_.size(); }

 private:
  struct Hash {
    using is_transparent = void;
    size_t operator()(std::string_view s) const { return std::hash<std::string_view>{}(s); }
  };
  std::unordered_map<std::string, CommandId, Hash, std::equal_to<>> ids_;
  std::vector<std::string> texts_;
};

}  // namespace memory::learner
