// mqstore: the offline inspector. All logic lives in tools/cli.cc so that
// tests can run the commands in-process.
#include <iostream>

#include "tools/cli.h"

int main(int argc, char** argv) { return mqstore::cli::Run(argc, argv, std::cout, std::cerr); }
