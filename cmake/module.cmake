# memory_module(NAME DIR LIBS...): a static library of every .cpp directly in DIR (subfolders are
# not included, so e.g. learner/torch/ stays out of the fast-path binary). An empty folder gives an
# INTERFACE library so dependents link before the module has code.
function(memory_module name)
  cmake_parse_arguments(M "" "" "LIBS" ${ARGN})
  file(GLOB srcs CONFIGURE_DEPENDS ${CMAKE_CURRENT_SOURCE_DIR}/*.cpp)
  if(srcs)
    add_library(${name} STATIC ${srcs})
    target_link_libraries(${name} PUBLIC ${M_LIBS})
    target_include_directories(${name} PUBLIC ${CMAKE_SOURCE_DIR})
  else()
    add_library(${name} INTERFACE)
    target_link_libraries(${name} INTERFACE ${M_LIBS})
  endif()
endfunction()

# memory_test_suite(NAME DIR LIBS...): one GoogleTest executable from every .cpp in DIR.
function(memory_test_suite name)
  cmake_parse_arguments(M "" "" "LIBS" ${ARGN})
  file(GLOB srcs CONFIGURE_DEPENDS ${CMAKE_CURRENT_SOURCE_DIR}/*.cpp)
  if(NOT srcs)
    return()
  endif()
  add_executable(${name} ${srcs})
  target_link_libraries(${name} PRIVATE ${M_LIBS} GTest::gtest GTest::gtest_main GTest::gmock)
  target_compile_definitions(${name} PRIVATE
    MEMORY_SHARED_DIR="${MEMORY_SHARED_DIR}"
    MEMORY_SOURCE_DIR="${CMAKE_SOURCE_DIR}"
    MEMORY_BIN="$<TARGET_FILE:memory>")
  add_dependencies(${name} memory)
  include(GoogleTest)
  gtest_discover_tests(${name} DISCOVERY_TIMEOUT 60 PROPERTIES TIMEOUT 600)
endfunction()

# memory_bench(NAME DIR LIBS...): one Google Benchmark executable from every .cpp in DIR.
function(memory_bench name)
  cmake_parse_arguments(M "" "" "LIBS" ${ARGN})
  file(GLOB srcs CONFIGURE_DEPENDS ${CMAKE_CURRENT_SOURCE_DIR}/*.cpp)
  if(NOT srcs)
    return()
  endif()
  add_executable(${name} ${srcs})
  target_link_libraries(${name} PRIVATE ${M_LIBS} benchmark::benchmark benchmark::benchmark_main)
  target_compile_definitions(${name} PRIVATE MEMORY_SHARED_DIR="${MEMORY_SHARED_DIR}")
endfunction()

# memory_static_or(VAR ARCHIVE FALLBACK...): VAR = the system's static archive ARCHIVE (e.g.
# libz.a) when there is one, else FALLBACK (an imported target or a library name). Every shared
# library costs the dynamic loader page faults and relocations at each process start, and the
# fast-path commands (`memory record` after every shell command) are mostly start-up.
function(memory_static_or var archive)
  find_library(${var}_ARCHIVE NAMES ${archive})
  if(${var}_ARCHIVE)
    set(${var} ${${var}_ARCHIVE} PARENT_SCOPE)
  else()
    set(${var} ${ARGN} PARENT_SCOPE)
    set_property(GLOBAL APPEND PROPERTY MEMORY_SHARED_FALLBACKS ${archive})
  endif()
endfunction()
