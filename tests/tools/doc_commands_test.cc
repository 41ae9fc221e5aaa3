// Every `mqstore` command shown in README.md and docs/*.md runs, and exits
// with the status the doc gives, so a documented command cannot rot. The
// rules below are the ones docs/cli.md ("How the examples are checked")
// states to the reader; change both together.
//
//   - A command is a line inside a ``` code block that starts with
//     "$ mqstore ". Its expected exit status is 0, or N when the line ends
//     with the comment "# exit N". Lines after it are its output (not
//     compared: timings and paths vary).
//   - A code-block line that starts with "mqstore <command>" or
//     "build/mqstore <command>" without the "$ " breaks the convention: the
//     FollowOneConvention test fails on it.
//   - Words replaced, as a whole argument or as its leading "WORD/" part:
//       $G       the golden RocketMQ 4.9.8 store (../shared/golden/
//                rocketmq-4.9.8-small/store); a block that uses it, or
//                DAMAGED or $T, is skipped with a message when golden is absent
//       $T       the golden RocketMQ 5.3.3 timer store (../shared/golden/
//                rocketmq-5.3.3-timer/timer-clean), unpacked from its
//                store.tar.gz for the block
//       STORE    a store written by `mqstore gen` (cli_store_fixture.h)
//       DAMAGED  a copy of $G with one body byte of the record at offset
//                262144 flipped (BODYCRC fails, valid records follow)
//       TMP      an empty scratch directory
//       CONF     the small-store broker.conf STORE is written with
//     One code block is one sequence: its commands run in order and share
//     STORE, DAMAGED and TMP.
//   - `mqstore bench` runs are shrunk, never skipped: --messages at most
//     2000 (--messages 2000 added when neither it nor --seconds is given),
//     --seconds 0.2, --ceiling-seconds 0 (no ceilings: their ~200
//     fdatasync rounds cost a second or more a run; bench_test covers them),
//     and small segment, queue and index files appended as --set (after the
//     line's own, so they win).
//   - A command line is plain words (quotes group them); a pipe,
//     redirection, ';', '&', '`' or a '$' other than $G and $T fails the test.
#include <gtest/gtest.h>

#include <algorithm>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <optional>
#include <regex>
#include <string>
#include <vector>

#include "tests/support/golden.h"
#include "tests/support/golden_tar.h"
#include "tests/tools/cli_store_fixture.h"
#include "tests/tools/cli_test_util.h"

namespace mqstore {
namespace {

namespace fs = std::filesystem;
using test::Cli;
using test::CliResult;

struct DocCommand {
  int line = 0;
  std::string text;      // after "$ "
  int expected_exit = 0;
};

struct DocBlock {
  std::string file;  // relative to the source dir
  int line = 0;      // the opening fence
  std::vector<DocCommand> commands;
  std::vector<std::string> stray;  // "file:line: text" of lines breaking the convention
};

std::vector<std::string> DocFiles() {
  std::vector<std::string> files = {"README.md"};
  std::vector<std::string> docs;
  for (const auto& e : fs::directory_iterator(fs::path(MQSTORE_SOURCE_DIR) / "docs"))
    if (e.path().extension() == ".md") docs.push_back("docs/" + e.path().filename().string());
  std::sort(docs.begin(), docs.end());
  files.insert(files.end(), docs.begin(), docs.end());
  return files;
}

// The text of a command without its trailing "# ..." comment (a '#' that
// starts a word outside quotes), and the exit status that comment gives.
std::pair<std::string, int> SplitComment(const std::string& text) {
  char quote = 0;
  for (size_t i = 0; i < text.size(); ++i) {
    const char c = text[i];
    if (quote) {
      if (c == quote) quote = 0;
    } else if (c == '\'' || c == '"') {
      quote = c;
    } else if (c == '#' && (i == 0 || text[i - 1] == ' ')) {
      std::string command = text.substr(0, i);
      while (!command.empty() && command.back() == ' ') command.pop_back();
      std::smatch m;
      const std::string comment = text.substr(i);
      static const std::regex kExit(R"(^#\s*exit\s+(\d+)\b)");
      return {command, std::regex_search(comment, m, kExit) ? std::stoi(m[1]) : 0};
    }
  }
  return {text, 0};
}

std::vector<DocBlock> ReadBlocks() {
  static const std::regex kStray(R"(^(build/)?mqstore (inspect|dump|verify|query|repair|gen|bench)( |$))");
  // What a command prints about itself ("mqstore dump commitlog: ...") is output.
  static const std::regex kMessage(R"(^mqstore [a-z]+( [a-z]+)?: )");
  std::vector<DocBlock> blocks;
  for (const std::string& file : DocFiles()) {
    std::ifstream in(fs::path(MQSTORE_SOURCE_DIR) / file);
    EXPECT_TRUE(in) << file;
    std::string line;
    int n = 0;
    bool inside = false;
    DocBlock block;
    while (std::getline(in, line)) {
      ++n;
      if (line.rfind("```", 0) == 0) {
        if (!inside) {
          block = DocBlock{file, n, {}, {}};
        } else if (!block.commands.empty() || !block.stray.empty()) {
          blocks.push_back(block);
        }
        inside = !inside;
        continue;
      }
      if (!inside) continue;
      if (line.rfind("$ mqstore ", 0) == 0) {
        auto [command, exit] = SplitComment(line.substr(2));
        block.commands.push_back({n, command, exit});
      } else if (std::regex_search(line, kStray) && !std::regex_search(line, kMessage)) {
        block.stray.push_back(file + ":" + std::to_string(n) + ": " + line);
      }
    }
  }
  return blocks;
}

// Splits a command into words: spaces separate, quotes group. Fails the
// test on shell syntax the docs must not use.
std::vector<std::string> Words(const std::string& text, const std::string& where) {
  std::vector<std::string> words;
  std::string word;
  bool in_word = false;
  char quote = 0;
  for (size_t i = 0; i < text.size(); ++i) {
    const char c = text[i];
    if (quote) {
      if (c == quote) quote = 0;
      else word += c;
      continue;
    }
    if (c == '\'' || c == '"') {
      quote = c;
      in_word = true;
    } else if (c == ' ' || c == '\t') {
      if (in_word) words.push_back(word);
      word.clear();
      in_word = false;
    } else {
      const bool golden = c == '$' && (text.compare(i, 2, "$G") == 0 || text.compare(i, 2, "$T") == 0) &&
                          !in_word && (i + 2 == text.size() || text[i + 2] == '/' || text[i + 2] == ' ');
      if (std::string("|<>;&`").find(c) != std::string::npos || (c == '$' && !golden))
        ADD_FAILURE() << where << ": shell syntax '" << c << "' in a documented command: " << text;
      word += c;
      in_word = true;
    }
  }
  EXPECT_EQ(quote, 0) << where << ": unbalanced quote: " << text;
  if (in_word) words.push_back(word);
  return words;
}

bool UsesGolden(const DocBlock& b) {
  for (const DocCommand& c : b.commands)
    for (const char* name : {"$G", "$T", "DAMAGED"})
      if (c.text.find(name) != std::string::npos) return true;
  return false;
}

bool IsBench(const DocBlock& b) {
  for (const DocCommand& c : b.commands)
    if (c.text.rfind("mqstore bench", 0) == 0) return true;
  return false;
}

// The placeholders of one block, made when a command first names them.
class BlockWorld {
 public:
  explicit BlockWorld(std::string golden) : golden_(std::move(golden)) {}

  std::string Substitute(const std::string& word) {
    for (const char* name : {"$G", "$T", "STORE", "DAMAGED", "TMP", "CONF"}) {
      const std::string n(name);
      if (word == n || word.rfind(n + "/", 0) == 0) return Resolve(n) + word.substr(n.size());
    }
    return word;
  }

 private:
  std::string Resolve(const std::string& name) {
    if (name == "$G") return GoldenStore();
    if (name == "$T") return TimerStore();
    if (name == "TMP") return tmp_.path();
    if (name == "CONF") {
      const std::string conf = scratch_.path() + "/broker.conf";
      if (!fs::exists(conf)) test::WriteSmallStoreConf(conf);
      return conf;
    }
    if (name == "STORE") {
      const std::string root = scratch_.path() + "/store";
      if (!fs::exists(root)) test::GenStore(root, Resolve("CONF"));
      return root;
    }
    // DAMAGED
    const std::string root = scratch_.path() + "/damaged";
    if (!fs::exists(root)) {
      test::CopyTree(GoldenStore(), root);
      // A byte of the body (which starts 88 bytes into a v1 record with IPv4
      // hosts) of the first record of segment 262144: BODYCRC fails.
      std::fstream f(root + "/commitlog/00000000000000262144", std::ios::in | std::ios::out | std::ios::binary);
      EXPECT_TRUE(f) << root;
      f.seekg(90);
      char c = 0;
      f.get(c);
      f.seekp(90);
      f.put(static_cast<char>(c ^ 0xFF));
    }
    return root;
  }

  std::string GoldenStore() const { return golden_ + "/rocketmq-4.9.8-small/store"; }
  // The timer sets are kept packed (their files are sparse): unpacked once
  // per block, into its scratch space.
  std::string TimerStore() {
    if (timer_root_.empty()) {
      const std::string into = scratch_.path() + "/timer";
      fs::create_directories(into);
      std::string why;
      timer_root_ = test::UnpackStoreTarball(golden_ + "/rocketmq-5.3.3-timer/timer-clean", into, &why);
      EXPECT_FALSE(timer_root_.empty()) << "$T: " << why;
    }
    return timer_root_;
  }

  std::string golden_;
  std::string timer_root_;
  test::TempDir scratch_;  // STORE, DAMAGED, CONF, $T
  test::TempDir tmp_;      // TMP: empty until a command writes into it
};

// `mqstore bench` made small enough for the test suite (see the rules above).
std::vector<std::string> ShrinkBench(std::vector<std::string> args) {
  bool ceiling = false, count = false;
  for (size_t i = 1; i + 1 < args.size(); ++i) {
    if (args[i] == "--messages") args[i + 1] = std::to_string(std::min<long long>(std::stoll(args[i + 1]), 2000));
    if (args[i] == "--seconds") args[i + 1] = "0.2";
    if (args[i] == "--messages" || args[i] == "--seconds") count = true;
    if (args[i] == "--ceiling-seconds") {
      args[i + 1] = "0";
      ceiling = true;
    }
  }
  if (!count) args.insert(args.end(), {"--messages", "2000"});
  if (!ceiling) args.insert(args.end(), {"--ceiling-seconds", "0"});
  for (const char* knob : {"mappedFileSizeCommitLog=1048576", "mappedFileSizeConsumeQueue=20000",
                           "maxHashSlotNum=1000", "maxIndexNum=4000", "flushIntervalCommitLog=10"})
    args.insert(args.end(), {"--set", knob});
  return args;
}

std::string Tail(const std::string& s) { return s.size() > 2000 ? "..." + s.substr(s.size() - 2000) : s; }

// Runs the blocks with (bench) or without a bench command; returns how many
// were skipped for want of the golden folder.
int RunBlocks(bool bench) {
  const std::string golden = test::GoldenDir();
  int skipped = 0, ran = 0;
  for (const DocBlock& block : ReadBlocks()) {
    if (block.commands.empty() || IsBench(block) != bench) continue;
    if (UsesGolden(block) && golden.empty()) {
      ++skipped;
      std::printf("skipped %s:%d: it reads the golden store and ../shared/golden is absent\n", block.file.c_str(),
                  block.line);
      continue;
    }
    BlockWorld world(golden);
    // bench's temporary stores go under the block's scratch space too.
    const std::string tmpdir = world.Substitute("TMP");
    const char* old_tmpdir = std::getenv("TMPDIR");
    const std::string saved = old_tmpdir ? old_tmpdir : "";
    setenv("TMPDIR", tmpdir.c_str(), 1);
    for (const DocCommand& c : block.commands) {
      const std::string where = block.file + ":" + std::to_string(c.line);
      std::vector<std::string> words = Words(c.text, where);
      if (words.size() < 2 || words[0] != "mqstore") {
        ADD_FAILURE() << where << ": not a mqstore command: " << c.text;
        continue;
      }
      std::vector<std::string> args;
      for (size_t i = 1; i < words.size(); ++i) args.push_back(world.Substitute(words[i]));
      if (args[0] == "bench") args = ShrinkBench(args);
      const CliResult r = Cli(args);
      ++ran;
      std::string shown;
      for (const auto& a : args) shown += " " + a;
      EXPECT_EQ(r.code, c.expected_exit) << where << ": `" << c.text << "` exited " << r.code << ", the doc says "
                                         << c.expected_exit << "\nran: mqstore" << shown << "\nstdout:\n"
                                         << Tail(r.out) << "\nstderr:\n"
                                         << Tail(r.err);
    }
    if (old_tmpdir) setenv("TMPDIR", saved.c_str(), 1);
    else unsetenv("TMPDIR");
  }
  std::printf("ran %d documented command(s), skipped %d block(s)\n", ran, skipped);
  return skipped;
}

TEST(DocCommands, FollowOneConvention) {
  int commands = 0, bench = 0;
  for (const DocBlock& b : ReadBlocks()) {
    for (const std::string& s : b.stray)
      ADD_FAILURE() << s << "\n  a command in a code block is written \"$ mqstore ...\" (docs/cli.md)";
    commands += static_cast<int>(b.commands.size());
    if (IsBench(b)) ++bench;
    for (const DocCommand& c : b.commands) Words(c.text, b.file + ":" + std::to_string(c.line));
  }
  // The docs show the CLI and the bench: finding none means the convention
  // (or this parser) broke, not that there is nothing to check.
  EXPECT_GE(commands, 20);
  EXPECT_GE(bench, 1);
}

TEST(DocCommands, CliExamplesExitAsDocumented) {
  const int skipped = RunBlocks(/*bench=*/false);
  if (skipped > 0 && !HasFailure())
    GTEST_SKIP() << skipped << " block(s) that read ../shared/golden were skipped: it is absent";
}

TEST(DocCommands, BenchExamplesExitAsDocumented) { RunBlocks(/*bench=*/true); }

}  // namespace
}  // namespace mqstore
