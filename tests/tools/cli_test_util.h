// Runs `mqstore` in-process for the CLI tests: exit code, stdout, stderr.
#pragma once

#include <sstream>
#include <string>
#include <vector>

#include "tests/support/golden.h"
#include "tools/cli.h"

namespace mqstore::test {

struct CliResult {
  int code;
  std::string out, err;
  // stdout as JSON lines (--json output of the one-record-per-line commands).
  std::vector<Json> Lines() const {
    std::vector<Json> v;
    std::istringstream in(out);
    std::string line;
    while (std::getline(in, line))
      if (!line.empty()) v.push_back(ParseJson(line));
    return v;
  }
};

// `mqstore args...`
inline CliResult Cli(std::vector<std::string> args) {
  args.insert(args.begin(), "mqstore");
  std::vector<char*> argv;
  for (auto& a : args) argv.push_back(a.data());
  std::ostringstream out, err;
  const int code = cli::Run(static_cast<int>(argv.size()), argv.data(), out, err);
  return {code, out.str(), err.str()};
}

}  // namespace mqstore::test
