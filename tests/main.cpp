// One Catch2 main for the suite; CTest runs each test case in its own
// process, as SimGrid allows one engine per process.
#define CATCH_CONFIG_MAIN
#include <catch2/catch.hpp>
