// PrivacyFilter: ignore rules and secret redaction (see privacy.h).
//
// Speed: one RE2::Set holds every rule; a command without secrets costs one DFA pass of the Set
// (no allocation beyond RE2's cached DFA states). Only the rules the Set reports are then run one
// by one to find their spans. Everything is RE2, hence linear in the input size.
//
// Spans of all rules are collected on the original text, overlapping spans are merged (the
// earliest rule in the table names the merged span) and the output is built once, so a
// replacement is never redacted again by a later rule.
#include "store/privacy.h"

#include <algorithm>
#include <mutex>
#include <string_view>
#include <vector>

#include <re2/re2.h>
#include <re2/set.h>

#include "store/store.h"

namespace memory {
namespace {

struct BuiltinRule {
  const char* name;
  const char* pattern;  // the first capturing group that matched is replaced, else the whole match
  const char* trigger;  // cheap superset of `pattern` for the prefilter Set (matches whenever it does)
};

// Value of an assignment or option: quoted (the quotes stay) or a bare word. Values that start
// with '$' are shell expansions ($TOKEN, $(pass show x)), not secrets, and are kept.
#define MEMORY_VALUE R"re((?:"((?:[^"\\]|\\.)+)"|'([^']+)'|([^\s'"$`;&|<>()][^\s'"`;&|<>()]*)))re"
// Same for an option's argument, which cannot start with '-' (that is the next option).
#define MEMORY_OPTION_VALUE R"re((?:"((?:[^"\\]|\\.)+)"|'([^']+)'|([^\s'"$`;&|<>()\-][^\s'"`;&|<>()]*)))re"
// Names of variables/keys that hold secrets, matched at the end of the name (max_tokens is not).
#define MEMORY_SECRET_WORD \
  R"re((?:password|passwd|passphrase|secret|token|api_?key|apikey|access_?key|secret_?key|private_?key|client_?secret|credentials?))re"

// Ordered: more specific rules first (they name a merged span; the user's rules come before all).
const BuiltinRule kBuiltinRules[] = {
    {"private_key",
     R"re((?s)-----BEGIN[A-Z0-9 ]*PRIVATE KEY[A-Z ]*-----.*?(?:-----END[A-Z0-9 ]*PRIVATE KEY[A-Z ]*-----|$))re",
     R"re(-----BEGIN)re"},
    {"aws_access_key",
     R"re(\b((?:AKIA|ASIA|ABIA|ACCA|AGPA|AIDA|AIPA|ANPA|ANVA|AROA|APKA|ASCA|A3T[A-Z0-9])[A-Z0-9]{16})\b)re",
     R"re(AKIA|ASIA|ABIA|ACCA|AGPA|AIDA|AIPA|ANPA|ANVA|AROA|APKA|ASCA|A3T)re"},
    {"aws_secret",
     R"re((?i)aws[_-]?secret[_-]?(?:access[_-]?)?key["']?(?:\s*[:=]\s*|\s+)["']?([A-Za-z0-9/+=]{16,}))re",
     R"re((?i)aws[_-]?secret)re"},
    {"github_token", R"re(((?:gh[pousr]_[A-Za-z0-9]{20,})|github_pat_[A-Za-z0-9_]{20,}))re",
     R"re(gh[pousr]_|github_pat_)re"},
    {"gitlab_token", R"re(\b(gl(?:pat|ptt|dt|rt|soat|cbt)-[A-Za-z0-9_\-]{20,}))re",
     R"re(gl(?:pat|ptt|dt|rt|soat|cbt)-)re"},
    {"slack_token", R"re(\b(xox[abprs]-[A-Za-z0-9\-]{10,}))re",
     R"re(xox[abprs]-)re"},
    {"slack_webhook", R"re(hooks\.slack\.com/services/([A-Za-z0-9_/\-]+))re",
     R"re(hooks\.slack\.com/services/)re"},
    {"openai_key", R"re(\b(sk-(?:proj-|ant-|svcacct-|admin-)?[A-Za-z0-9_\-]{20,}))re",
     R"re(sk-)re"},
    {"stripe_key", R"re(\b([rs]k_(?:live|test)_[A-Za-z0-9]{16,}))re",
     R"re([rs]k_(?:live|test)_)re"},
    {"google_api_key", R"re(\b(AIza[0-9A-Za-z_\-]{35}))re",
     R"re(AIza)re"},
    {"npm_token", R"re(\b(npm_[A-Za-z0-9]{36}))re",
     R"re(npm_)re"},
    {"jwt", R"re(\b(eyJ[A-Za-z0-9_\-]{8,}\.eyJ[A-Za-z0-9_\-]{8,}\.[A-Za-z0-9_\-]{8,}))re",
     R"re(eyJ)re"},
    // Authorization: Bearer X / Basic X / Token X (headers, curl -H, wget --header, HTTP dumps).
    {"auth_header",
     R"re((?i)\b(?:proxy-)?authorization\s*:\s*(?:(?:bearer|basic|token|digest|negotiate|bot)\s+(?:\$|([^\s'"$][^\s'"]*))|([^\s'"$][^\s'"]*)))re",
     R"re((?i)authorization)re"},
    // Other secret-looking headers: curl -H 'X-Api-Key: X', -H "PRIVATE-TOKEN: X".
    {"header_secret",
     R"re((?:-H|--header)(?:\s+|=)?['"]?(?i:[A-Za-z0-9\-]*(?:api-?key|token|secret|password|auth)[A-Za-z0-9\-]*\s*:\s*(?:(?:bearer|basic|token)\s+(?:\$|([^\s'"$][^\s'"]*))|([^\s'"$][^\s'"]*))))re",
     R"re(-H|--header)re"},
    {"bearer_token", R"re((?i)\bbearer\s+([A-Za-z0-9\-._~+/]*[0-9][A-Za-z0-9\-._~+/]*=*))re",
     R"re((?i)bearer)re"},
    // scheme://user:PASS@host: only PASS.
    {"url_password", R"re(\b[A-Za-z][A-Za-z0-9+.\-]*://[^\s:/@'"]*:([^\s@/'"]+)@)re",
     R"re(://[^\s/]*@)re"},
    // PASSWORD=x, export GITHUB_TOKEN="x", --db-password x, --password=x, {"api_key": "x"}.
    {"secret_assignment", R"re((?i)\b[A-Za-z0-9_]*)re" MEMORY_SECRET_WORD R"re((?:=|\s+=\s*))re" MEMORY_VALUE,
     R"re((?i)(?:password|passwd|passphrase|secret|token|key|credentials?)\s*=)re"},
    {"password_option",
     R"re((?i)(?:^|\s)--?[A-Za-z0-9\-]*(?:password|passwd|passphrase|token|secret|api-?key|access-key|secret-key)(?:=|\s+))re" MEMORY_OPTION_VALUE,
     R"re((?i)(?:password|passwd|passphrase|token|secret|key)(?:=|\s))re"},
    {"json_secret",
     R"re((?i)"[A-Za-z0-9_\-]*)re" MEMORY_SECRET_WORD R"re("\s*:\s*"((?:[^"\\]|\\.)+)")re",
     R"re((?i)(?:password|passwd|passphrase|secret|token|key|credentials?)")re"},
    // mysql -pSECRET (the value is glued to -p; "-p" alone prompts) and sshpass -p SECRET.
    {"mysql_password",
     R"re(\b(?:mysql|mysqldump|mysqladmin|mysqlimport|mysqlshow|mysqlcheck|mariadb|mariadb-dump)\b[^|;&\n]*?\s-p(?:"((?:[^"\\]|\\.)+)"|'([^']+)'|([^\s'"$\-][^\s]*)))re",
     R"re(mysql|mariadb)re"},
    {"sshpass", R"re(\bsshpass\s+(?:-[A-Za-z]\S*\s+)*?-p\s*)re" MEMORY_OPTION_VALUE,
     R"re(sshpass)re"},
};

#undef MEMORY_VALUE
#undef MEMORY_OPTION_VALUE
#undef MEMORY_SECRET_WORD

RE2::Options RuleOptions() {
  RE2::Options o;
  // Latin-1: every byte is one character, so invalid UTF-8 cannot hide a secret from '.'.
  o.set_encoding(RE2::Options::EncodingLatin1);
  o.set_log_errors(false);
  o.set_max_mem(32 << 20);
  return o;
}

// A rule's own RE2 is compiled on first use: most commands never need one (the Set says no), so
// a short-lived `memory record` pays only for the Set.
struct Rule {
  std::string name;
  std::string pattern;
  std::string replacement;  // "[REDACTED:<name>]"
  mutable std::once_flag compiled;
  mutable std::unique_ptr<RE2> re;
  mutable int groups = 0;

  const RE2& Regex() const {
    std::call_once(compiled, [this] {
      re = std::make_unique<RE2>(pattern, RuleOptions());
      groups = re->NumberOfCapturingGroups();
    });
    return *re;
  }
};

struct Span {
  size_t begin, end;
  size_t rule;
};


size_t Backslashes(std::string_view t, size_t end) {  // backslashes just before `end`
  size_t n = 0;
  while (end > n && t[end - n - 1] == '\\') ++n;
  return n;
}

class RegexPrivacyFilter final : public PrivacyFilter {
 public:
  Status Init(const Config& config) {
    ignore_space_prefixed_ = config.ignore_space_prefixed;
    ignore_ = config.ignore;
    set_ = std::make_unique<RE2::Set>(RuleOptions(), RE2::UNANCHORED);
    // The user's rules first: they name a span that a built-in rule also covers.
    for (const auto& r : config.redact) MEMORY_RETURN_IF_ERROR(Add(r.name, r.pattern, r.pattern, "config"));
    for (const auto& b : kBuiltinRules) MEMORY_RETURN_IF_ERROR(Add(b.name, b.pattern, b.trigger, "built-in"));
    if (!set_->Compile()) return Status::InvalidArgument("privacy: redaction patterns too large to compile");
    return Status::OK();
  }

  bool ShouldRecord(const Event& e) const override {
    if (ignore_space_prefixed_ && !e.command.empty() && e.command[0] == ' ') return false;
    for (const auto& glob : ignore_)
      if (GlobMatch(glob, e.command)) return false;
    return true;
  }

  int Redact(Event* e) const override {
    int n = RedactText(&e->command) + RedactText(&e->params_json) + RedactText(&e->error) +
            RedactText(&e->cwd);
    for (auto& t : e->tags) n += RedactText(&t);
    if (e->decision) {
      n += RedactText(&e->decision->action);
      for (auto& a : e->decision->action_set) n += RedactText(&a);
    }
    return n;
  }

  int RedactText(std::string* text) const override {
    if (text->empty()) return 0;
    // Cheap test first (stops at the first match, allocates nothing); then which rules matched.
    RE2::Set::ErrorInfo err{};
    if (!set_->Match(*text, nullptr, &err) && err.kind == RE2::Set::kNoError) return 0;
    std::vector<int> hits;
    if (err.kind != RE2::Set::kNoError || !set_->Match(*text, &hits, &err)) {
      hits.clear();  // the DFA gave up (hostile input): run every rule
      for (size_t i = 0; i < rules_.size(); ++i) hits.push_back(static_cast<int>(i));
    }
    std::vector<Span> spans;
    for (int r : hits) FindSpans(*text, static_cast<size_t>(r), &spans);
    if (spans.empty()) return 0;
    return Replace(text, &spans);
  }

 private:
  // The Set holds the rule's trigger; the rule's own pattern runs only when the trigger matched.
  Status Add(const std::string& name, const std::string& pattern, const std::string& trigger,
             const char* origin) {
    auto rule = std::make_unique<Rule>();
    rule->name = name;
    rule->pattern = pattern;
    rule->replacement = "[REDACTED:" + name + "]";
    // The Set parses the trigger (for the user's rules: the pattern itself), so a bad pattern
    // fails here rather than at first use. Built-in patterns are covered by the tests.
    std::string error;
    int index = set_->Add(trigger, &error);
    if (index < 0)
      return Status::InvalidArgument("privacy: bad " + std::string(origin) + " redaction pattern '" +
                                     name + "': " + error);
    rules_.push_back(std::move(rule));
    return Status::OK();
  }

  // Every non-empty match of one rule: the first capturing group that took part, else the match.
  void FindSpans(std::string_view text, size_t r, std::vector<Span>* spans) const {
    const Rule& rule = *rules_[r];
    const RE2& re = rule.Regex();
    if (!re.ok()) {  // parsed fine in the Set but too big alone: hide the whole text
      spans->push_back({0, text.size(), r});
      return;
    }
    const int n = 1 + rule.groups;
    std::vector<re2::StringPiece> m(static_cast<size_t>(n));
    size_t pos = 0;
    while (pos <= text.size() &&
           re.Match(text, pos, text.size(), RE2::UNANCHORED, m.data(), n)) {
      // A rule with groups replaces the first group that took part (none: e.g. "Bearer $TOKEN",
      // a shell expansion, nothing to hide); a rule without groups replaces the whole match.
      const re2::StringPiece* part = rule.groups == 0 ? &m[0] : nullptr;
      for (int g = 1; g < n && part == nullptr; ++g)
        if (m[g].data() != nullptr) part = &m[g];
      if (part != nullptr && !part->empty()) {
        size_t b = static_cast<size_t>(part->data() - text.data());
        spans->push_back({b, b + part->size(), r});
      }
      size_t end = static_cast<size_t>(m[0].data() - text.data()) + m[0].size();
      pos = m[0].empty() ? end + 1 : end;
    }
  }

  int Replace(std::string* text, std::vector<Span>* spans) const {
    std::string_view t = *text;
    // Keep backslash escapes whole (JSON strings stay valid): a span that starts after an
    // escaping backslash takes it in; one that ends on an escaping backslash takes the next char.
    for (auto& s : *spans) {
      if (Backslashes(t, s.begin) % 2 == 1) --s.begin;
      if (Backslashes(t, s.end) % 2 == 1 && s.end < t.size()) ++s.end;
    }
    std::sort(spans->begin(), spans->end(), [](const Span& a, const Span& b) {
      return a.begin != b.begin ? a.begin < b.begin : a.rule < b.rule;
    });
    std::string out;
    out.reserve(t.size());
    size_t copied = 0, i = 0;
    int count = 0;
    while (i < spans->size()) {
      Span merged = (*spans)[i++];
      while (i < spans->size() && (*spans)[i].begin < merged.end) {
        merged.end = std::max(merged.end, (*spans)[i].end);
        merged.rule = std::min(merged.rule, (*spans)[i].rule);
        ++i;
      }
      out.append(t.substr(copied, merged.begin - copied));
      out.append(rules_[merged.rule]->replacement);
      copied = merged.end;
      ++count;
    }
    out.append(t.substr(copied));
    *text = std::move(out);
    return count;
  }

  bool ignore_space_prefixed_ = true;
  std::vector<std::string> ignore_;
  std::vector<std::unique_ptr<Rule>> rules_;
  std::unique_ptr<RE2::Set> set_;
};

}  // namespace

Status PrivacyFilter::Create(const Config& config, std::unique_ptr<PrivacyFilter>* out) {
  auto f = std::make_unique<RegexPrivacyFilter>();
  MEMORY_RETURN_IF_ERROR(f->Init(config));
  *out = std::move(f);
  return Status::OK();
}

}  // namespace memory
