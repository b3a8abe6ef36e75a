// Command templates: the parts of a command line that vary from one use to the next (quoted
// strings, numbers, paths) are abstracted, so "vim src/a.cc" and "vim b.h" are one template
// "vim <path>". Intent models predict templates; the CLI shows the most recent concrete command.
#pragma once

#include <string>
#include <string_view>

namespace memory::learner {

// "git commit -m 'fix bug'" -> "git commit -m <str>"; "head -n 20 a/b.txt" -> "head -n <num> <path>".
// The program (first word), subcommand words, flags and shell operators are kept. Whitespace is
// normalised to single spaces. A one-word command is returned unchanged.
std::string CommandTemplate(std::string_view command);

}  // namespace memory::learner
