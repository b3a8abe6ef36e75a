// The context of the calling process: cwd, git repository and branch, host, user, session.
// Read from the file system only (no `git` process), so the record path stays fast.
#pragma once

#include <string>

#include "store/event.h"

namespace memory::cli {

// Fills the context fields of `e` that are still empty: cwd (getcwd), repo_root and branch (the
// nearest enclosing .git), host, user ($USER), session ($MEMORY_SESSION), actor ("human").
void FillContext(Event* e);

// Git work tree root of `dir` and its current branch ("" when not in a repository; a detached
// HEAD gives the short commit id).
void GitContext(const std::string& dir, std::string* root, std::string* branch);

}  // namespace memory::cli
