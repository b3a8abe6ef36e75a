#include "learner/vocabulary.h"

namespace memory::learner {

CommandId Vocabulary::Intern(std::string_view text) {
  auto it = ids_.find(text);
  if (it != ids_.end()) return it->second;
  CommandId id = static_cast<CommandId>(texts_.size());
  texts_.emplace_back(text);
  ids_.emplace(std::string(text), id);
  return id;
}

CommandId Vocabulary::Find(std::string_view text) const {
  auto it = ids_.find(text);
  return it == ids_.end() ? kNoCommand : it->second;
}

}  // namespace memory::learner
