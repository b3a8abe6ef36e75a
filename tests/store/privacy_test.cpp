// PrivacyFilter: every built-in rule (positive and negative), ignore rules, config rules,
// hostile input.
#include "store/privacy.h"

#include <gtest/gtest.h>

#include <chrono>
#include <random>
#include <thread>

namespace memory {
namespace {

std::unique_ptr<PrivacyFilter> MakeFilter(const Config& c = Config{}) {
  std::unique_ptr<PrivacyFilter> f;
  Status st = PrivacyFilter::Create(c, &f);
  EXPECT_TRUE(st.ok()) << st.ToString();
  return f;
}

struct Case {
  std::string input;
  std::string expected;  // after redaction
};

class PrivacyRules : public ::testing::Test {
 protected:
  void Check(const std::vector<Case>& cases) {
    for (const auto& c : cases) {
      std::string text = c.input;
      int n = filter_->RedactText(&text);
      EXPECT_EQ(text, c.expected) << "input: " << c.input;
      EXPECT_EQ(n > 0, c.input != c.expected) << "input: " << c.input;
    }
  }
  // Inputs that must come out unchanged.
  void Untouched(const std::vector<std::string>& inputs) {
    for (const auto& in : inputs) {
      std::string text = in;
      EXPECT_EQ(filter_->RedactText(&text), 0) << "input: " << in;
      EXPECT_EQ(text, in);
    }
  }
  std::unique_ptr<PrivacyFilter> filter_ = MakeFilter();
};

TEST_F(PrivacyRules, AwsAccessKeysAndSecrets) {
  Check({
      {"export AWS_ACCESS_KEY_ID=AKIAIOSFODNN7EXAMPLE", "export AWS_ACCESS_KEY_ID=[REDACTED:aws_access_key]"},
      {"aws sts ... ASIAY34FZKBOKMUTVV7A done", "aws sts ... [REDACTED:aws_access_key] done"},
      {"aws_secret_access_key = wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY",
       "aws_secret_access_key = [REDACTED:aws_secret]"},
      {"aws configure set aws_secret_access_key wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY",
       "aws configure set aws_secret_access_key [REDACTED:aws_secret]"},
      {"export AWS_SECRET_ACCESS_KEY=wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY",
       "export AWS_SECRET_ACCESS_KEY=[REDACTED:aws_secret]"},
  });
  Untouched({"aws s3 ls s3://bucket/AKIA", "echo AKIAshort", "grep -r aws_secret_access_key ."});
}

TEST_F(PrivacyRules, GitHubGitLabSlackAndOtherTokens) {
  const std::string ghp = "ghp_" + std::string("aB3dE6gH9jK2mN5pQ8sT1vW4yZ7bC0eF3hJ6");
  Check({
      {"git clone https://" + ghp + "@github.com/x/y", "git clone https://[REDACTED:github_token]@github.com/x/y"},
      {"gh auth login --with-token gho_16C7e42F292c6912E7710c838347Ae178B4a",
       "gh auth login --with-token [REDACTED:github_token]"},
      {"echo ghu_16C7e42F292c6912E7710c838347Ae178B4a ghs_16C7e42F292c6912E7710c838347Ae178B4a",
       "echo [REDACTED:github_token] [REDACTED:github_token]"},
      {"X=ghr_16C7e42F292c6912E7710c838347Ae178B4a", "X=[REDACTED:github_token]"},
      {"use github_pat_11ABCDEFG0123456789_abcdefghijklmnopqrstuvwxyz now",
       "use [REDACTED:github_token] now"},
      {"curl --header 'PRIVATE-TOKEN: glpat-xxxxXXXXxxxxXXXX1234' https://gitlab.com/api/v4/projects",
       "curl --header 'PRIVATE-TOKEN: [REDACTED:gitlab_token]' https://gitlab.com/api/v4/projects"},
      {"slack-cli --token xoxb-1234567890-0987654321-AbCdEfGhIjKlMnOp",
       "slack-cli --token [REDACTED:slack_token]"},
      {"SLACK=xoxp-12345-67890-abcdef", "SLACK=[REDACTED:slack_token]"},
      {"curl -X POST https://hooks.slack.com/services/T000/B000/XXXXXXXX",
       "curl -X POST https://hooks.slack.com/services/[REDACTED:slack_webhook]"},
  });
  Untouched({"git checkout ghp_fix", "cd ~/src/gitlab-runner", "echo xoxb", "ls gh_pages",
             "git log --author=ghost_user"});
}

TEST_F(PrivacyRules, AuthorizationAndBearerHeaders) {
  Check({
      {"curl -H \"Authorization: Bearer abc.def.ghi\" https://api.example.com",
       "curl -H \"Authorization: Bearer [REDACTED:auth_header]\" https://api.example.com"},
      {"curl -H 'Authorization: Basic dXNlcjpwYXNz' https://x", "curl -H 'Authorization: Basic [REDACTED:auth_header]' https://x"},
      {"http GET api.io authorization:token123", "http GET api.io authorization:[REDACTED:auth_header]"},
      {"curl -H 'X-Api-Key: 12345abcdef' https://x", "curl -H 'X-Api-Key: [REDACTED:header_secret]' https://x"},
      {"curl --header=\"X-Auth-Token: Bearer zzz999\" u", "curl --header=\"X-Auth-Token: Bearer [REDACTED:header_secret]\" u"},
      {"wget --header 'Proxy-Authorization: Basic Zm9vOmJhcg==' x", "wget --header 'Proxy-Authorization: Basic [REDACTED:auth_header]' x"},
      {"grpcurl -rpc-header 'bearer eyJ0eXAiOiJKV1Q1.sig9'", "grpcurl -rpc-header 'bearer [REDACTED:bearer_token]'"},
  });
  // Shell expansions are not secrets; words after "bearer" without digits are prose.
  Untouched({"curl -H \"Authorization: Bearer $TOKEN\" https://x",
             "curl -H \"Authorization: Bearer ${GITHUB_TOKEN}\" https://x",
             "echo 'the bearer of bad news'", "grep -i authorization src/", "man curl"});
}

TEST_F(PrivacyRules, PasswordsInUrlsReplaceOnlyThePassword) {
  Check({
      {"psql postgres://admin:hunter2@db.example.com:5432/app",
       "psql postgres://admin:[REDACTED:url_password]@db.example.com:5432/app"},
      {"git remote add origin https://bob:s3cr%40t@git.example.com/r.git",
       "git remote add origin https://bob:[REDACTED:url_password]@git.example.com/r.git"},
      {"redis-cli -u redis://:onlypass@localhost:6379", "redis-cli -u redis://:[REDACTED:url_password]@localhost:6379"},
  });
  Untouched({"curl http://localhost:8080/path", "git clone ssh://git@host:22/x.git",
             "git clone git@github.com:org/repo.git", "open https://user@example.com/"});
}

TEST_F(PrivacyRules, SecretAssignments) {
  Check({
      {"PASSWORD=hunter2 ./deploy.sh", "PASSWORD=[REDACTED:secret_assignment] ./deploy.sh"},
      {"export DB_PASSWORD='s3cr3t pass'", "export DB_PASSWORD='[REDACTED:secret_assignment]'"},
      {"export GITLAB_TOKEN=\"abc def\" && make", "export GITLAB_TOKEN=\"[REDACTED:secret_assignment]\" && make"},
      {"export FOO_TOKEN=abc123; ls", "export FOO_TOKEN=[REDACTED:secret_assignment]; ls"},
      {"mypasswd=x1 SECRET=y2 api_key=z3 ACCESS_KEY=w4 client_secret=v5",
       "mypasswd=[REDACTED:secret_assignment] SECRET=[REDACTED:secret_assignment] "
       "api_key=[REDACTED:secret_assignment] ACCESS_KEY=[REDACTED:secret_assignment] "
       "client_secret=[REDACTED:secret_assignment]"},
      {"Api_Key = abc", "Api_Key = [REDACTED:secret_assignment]"},
  });
  Untouched({"git commit -m \"update password docs\"", "python train.py max_tokens=512",
             "export TOKEN=$(pass show github)", "PASSWORD=$DB_PASS make", "export PATH=$HOME/bin:$PATH",
             "PWD=/tmp ls", "echo token", "ls password_reset/", "grep -rn SECRET= src/"});
}

TEST_F(PrivacyRules, PasswordOptions) {
  Check({
      {"mysqldump --password=foo db", "mysqldump --password=[REDACTED:secret_assignment] db"},
      {"psql --password s3cret -U me", "psql --password [REDACTED:password_option] -U me"},
      {"vault login -token s.abc123", "vault login -token [REDACTED:password_option]"},
      {"tool --api-key 'k 1' --db-password \"p w\"",
       "tool --api-key '[REDACTED:password_option]' --db-password \"[REDACTED:password_option]\""},
      {"mysql -u root -pS3cret db", "mysql -u root -p[REDACTED:mysql_password] db"},
      {"mysql -h db -u root -p'my pass' app", "mysql -h db -u root -p'[REDACTED:mysql_password]' app"},
      {"sshpass -p hunter2 ssh host", "sshpass -p [REDACTED:sshpass] ssh host"},
  });
  Untouched({"mysql -u root -p db", "mysql -u root -P 3306 db", "psql --password -U me",
             "cp -p a b", "mkdir -p build/out", "git push --token-file ~/.t", "ssh -p 2222 host",
             "mysql --no-password -h x", "python run.py --max-tokens 100"});
}

TEST_F(PrivacyRules, PrivateKeyBlocks) {
  std::string key =
      "-----BEGIN OPENSSH PRIVATE KEY-----\nb3BlbnNzaC1rZXktdjEAAAAABG5vbmU\nAAAAAAAAAAA=\n"
      "-----END OPENSSH PRIVATE KEY-----";
  Check({
      {"cat > id <<EOF\n" + key + "\nEOF", "cat > id <<EOF\n[REDACTED:private_key]\nEOF"},
      {"echo '-----BEGIN RSA PRIVATE KEY----- MIIEabc -----END RSA PRIVATE KEY-----' > k",
       "echo '[REDACTED:private_key]' > k"},
      // A truncated block (no END line) is redacted to the end of the text.
      {"x -----BEGIN EC PRIVATE KEY-----\nMHcCAQEEI", "x [REDACTED:private_key]"},
      {"-----BEGIN PGP PRIVATE KEY BLOCK-----\nlQ\n-----END PGP PRIVATE KEY BLOCK----- tail",
       "[REDACTED:private_key] tail"},
  });
  Untouched({"-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----",
             "ssh-keygen -t ed25519 -f ~/.ssh/private_key", "grep 'BEGIN PRIVATE' -r ."});
}

TEST_F(PrivacyRules, JsonParamsStayValidJson) {
  Check({
      {R"({"url":"https://x","api_key":"sk-1\"2","n":1})", R"({"url":"https://x","api_key":"[REDACTED:json_secret]","n":1})"},
      {R"({"password": "hunter2"})", R"({"password": "[REDACTED:json_secret]"})"},
      // A value cut by a bare-word rule on an escaped quote takes the escape with it.
      {R"({"cmd":"export TOKEN=ab\"cd"})", R"({"cmd":"export TOKEN=[REDACTED:secret_assignment]cd"})"},
  });
  Untouched({R"({"path":"src/password.cc","max_tokens":5})", R"({"token_count": 12})"});
}

TEST_F(PrivacyRules, SeveralSecretsInOneCommandAndOverlaps) {
  const std::string ghp = "ghp_16C7e42F292c6912E7710c838347Ae178B4a";
  Check({{"GITHUB_TOKEN=" + ghp + " AWS_ACCESS_KEY_ID=AKIAIOSFODNN7EXAMPLE make deploy",
          "GITHUB_TOKEN=[REDACTED:github_token] AWS_ACCESS_KEY_ID=[REDACTED:aws_access_key] make deploy"}});
  std::string t = "curl -H 'Authorization: Bearer " + ghp + "' https://x";
  EXPECT_EQ(filter_->RedactText(&t), 1);  // two rules on one span count once
  EXPECT_EQ(t.find(ghp), std::string::npos);
  EXPECT_NE(t.find("[REDACTED:github_token]"), std::string::npos) << t;
}

TEST(PrivacyFilterTest, RedactEventCoversEveryTextField) {
  auto f = MakeFilter();
  Event e;
  e.command = "PASSWORD=a1 run";
  e.params_json = R"({"token":"zz"})";
  e.error = "auth failed for postgres://u:pw@h/db";
  e.cwd = "/home/u/AKIAIOSFODNN7EXAMPLE";
  e.tags = {"ok", "TOKEN=b2"};
  e.decision = Decision{};
  e.decision->action = "SECRET=c3 ./x";
  e.decision->action_set = {"ls", "API_KEY=d4 ./y"};
  EXPECT_EQ(f->Redact(&e), 7);
  for (const std::string* s : {&e.command, &e.params_json, &e.error, &e.cwd, &e.tags[1],
                               &e.decision->action, &e.decision->action_set[1]})
    EXPECT_NE(s->find("[REDACTED:"), std::string::npos) << *s;
  EXPECT_EQ(e.tags[0], "ok");
  EXPECT_EQ(e.decision->action_set[0], "ls");
}

TEST(PrivacyFilterTest, LeadingSpaceIsNotRecordedUnlessDisabled) {
  Event e;
  e.command = " echo secret-ish";
  EXPECT_FALSE(MakeFilter()->ShouldRecord(e));
  e.command = "echo normal";
  EXPECT_TRUE(MakeFilter()->ShouldRecord(e));
  Config c;
  c.ignore_space_prefixed = false;
  e.command = " echo secret-ish";
  EXPECT_TRUE(MakeFilter(c)->ShouldRecord(e));
}

TEST(PrivacyFilterTest, IgnoreGlobsFromConfig) {
  Config c;
  c.ignore = {"pass *", "*vault read*", "ls"};
  auto f = MakeFilter(c);
  auto rec = [&](const std::string& cmd) {
    Event e;
    e.command = cmd;
    return f->ShouldRecord(e);
  };
  EXPECT_FALSE(rec("pass show github"));
  EXPECT_FALSE(rec("VAULT_ADDR=x vault read secret/db"));
  EXPECT_FALSE(rec("ls"));
  EXPECT_TRUE(rec("ls -la"));  // globs match the whole command
  EXPECT_TRUE(rec("passwd"));
  EXPECT_TRUE(rec("git status"));
}

TEST(PrivacyFilterTest, ExtensibleRulesFromConfig) {
  Config c;
  c.redact = {{"employee_id", "EMP-[0-9]{6}"}, {"vault", "--vault-token[= ]([^ ]+)"}};
  auto f = MakeFilter(c);
  std::string t = "lookup EMP-123456 --vault-token=s.XYZ --vault-token abc rest";
  EXPECT_EQ(f->RedactText(&t), 3);
  EXPECT_EQ(t, "lookup [REDACTED:employee_id] --vault-token=[REDACTED:vault] --vault-token [REDACTED:vault] rest");
  std::string plain = "lookup EMP-12 ok";
  EXPECT_EQ(f->RedactText(&plain), 0);
  // Built-in rules still apply.
  std::string builtin = "PASSWORD=x1";
  EXPECT_EQ(f->RedactText(&builtin), 1);
}

TEST(PrivacyFilterTest, BadConfigPatternIsInvalidArgument) {
  Config c;
  c.redact = {{"broken", "(unclosed"}};
  std::unique_ptr<PrivacyFilter> f;
  Status st = PrivacyFilter::Create(c, &f);
  EXPECT_TRUE(st.IsInvalidArgument());
  EXPECT_NE(st.message().find("broken"), std::string::npos) << st.message();
}

TEST(PrivacyFilterTest, EmptyMatchingConfigPatternTerminates) {
  Config c;
  c.redact = {{"maybe", "x*"}};
  auto f = MakeFilter(c);
  std::string t = "abxxc";
  EXPECT_EQ(f->RedactText(&t), 1);
  EXPECT_EQ(t, "ab[REDACTED:maybe]c");
}

TEST(PrivacyFilterTest, OneMegabyteLinesAndHostileText) {
  auto f = MakeFilter();
  // 1 MB of text that nearly matches many rules everywhere, plus real secrets at both ends.
  std::string hostile = "PASSWORD=first ";
  const std::string chunk = "-----BEGIN aws_secret_key=:// ghp_ Authorization: --password -p mysql \"a\\";
  while (hostile.size() < (1u << 20)) hostile += chunk;
  hostile += " TOKEN=last";
  const std::string orig = hostile;
  auto t0 = std::chrono::steady_clock::now();
  int n = f->RedactText(&hostile);
  double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  EXPECT_GE(n, 2);
  EXPECT_EQ(hostile.find("first"), std::string::npos);
  EXPECT_EQ(hostile.find("TOKEN=last"), std::string::npos);
  EXPECT_LT(secs, 20.0);  // a sanity bound against super-linear blow-up, not a benchmark

  // A 1 MB line without secrets comes back unchanged.
  std::string plain(1u << 20, 'a');
  for (size_t i = 0; i < plain.size(); i += 80) plain[i] = ' ';
  std::string copy = plain;
  EXPECT_EQ(f->RedactText(&copy), 0);
  EXPECT_EQ(copy, plain);

  // A 1 MB private key without an END line.
  std::string key = "-----BEGIN RSA PRIVATE KEY-----\n" + std::string(1u << 20, 'Q');
  EXPECT_EQ(f->RedactText(&key), 1);
  EXPECT_EQ(key, "[REDACTED:private_key]");
}

TEST(PrivacyFilterTest, InvalidUtf8AndBinaryDoNotCrashOrHideSecrets) {
  auto f = MakeFilter();
  std::string t = "echo \xff\xfe\xc3 PASSWORD=\xe2\x82hunter\x80 done \xf0\x9f";
  EXPECT_EQ(f->RedactText(&t), 1);
  EXPECT_EQ(t, "echo \xff\xfe\xc3 PASSWORD=[REDACTED:secret_assignment] done \xf0\x9f");
  // Invalid bytes inside a private key block must not stop the block.
  std::string key = "-----BEGIN PRIVATE KEY-----\n\xff\x80\xfe\n-----END PRIVATE KEY-----";
  EXPECT_EQ(f->RedactText(&key), 1);
  EXPECT_EQ(key, "[REDACTED:private_key]");
  // Random bytes: no crash, and the output never grows past what replacements explain.
  std::mt19937 rng(7);
  for (int i = 0; i < 200; ++i) {
    std::string r(1 + rng() % 2000, '\0');
    for (auto& ch : r) ch = static_cast<char>(rng());
    std::string c = r;
    int n = f->RedactText(&c);
    if (n == 0) {
      EXPECT_EQ(c, r);
    } else {
      EXPECT_NE(c.find("[REDACTED:"), std::string::npos);
    }
  }
}

TEST(PrivacyFilterTest, ConcurrentUseFromManyThreads) {
  // Rules compile lazily on first use: several threads racing on the first use must agree.
  auto f = MakeFilter();
  std::vector<std::thread> threads;
  std::vector<int> wrong(4, 0);
  for (int t = 0; t < 4; ++t)
    threads.emplace_back([&, t] {
      for (int i = 0; i < 200; ++i) {
        std::string s = "export API_KEY=k" + std::to_string(i) + " && curl https://u:p" +
                        std::to_string(t) + "@h/x";
        if (f->RedactText(&s) != 2 || s.find("[REDACTED:url_password]") == std::string::npos) ++wrong[t];
      }
    });
  for (auto& th : threads) th.join();
  EXPECT_EQ(wrong, std::vector<int>(4, 0));
}

}  // namespace
}  // namespace memory
