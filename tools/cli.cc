#include "tools/cli.h"

namespace mqstore::cli {

int Run(int, char**, std::ostream&, std::ostream& err) {
  err << "mqstore: no commands yet\n";
  return kExitUsage;
}

}  // namespace mqstore::cli
