# The pyautopsy executable links libstdc++, libgcc, fmt, elfutils and the
# compression libraries statically, leaving only libc (and libm) to the dynamic
# linker; the shared front ends (libpyautopsy.so, the LLDB plugin) and the test
# programs link the same libraries dynamically, as before.
# The installed executable (`make install`, the Debian package) links them
# dynamically too, as a distribution's packages must: cli/CMakeLists.txt
# links the same objects twice.
#
# Why (issue 18): a report reads a core in ~10 ms of CPU, and loading eleven
# shared libraries cost ~3 ms more on every run: mapping them, ~2,100 symbol
# relocations and one RELRO mprotect each, and the page faults of all that,
# which are dear on a virtual machine. With them linked in, `pyautopsy
# --version` went from 10.0 to 7.0 ms and the threads_abort core of 3.11 from
# 21.6 to 18.5 ms (median of 40 interleaved runs), peak RSS from 8.0 to 6.8 MiB.
#
# How: every dependency the core libraries link is reached through an interface
# target pyautopsy_dep_<name>, which resolves to the shared library, or, for a
# target whose PYAUTOPSY_STATIC_DEPS property is true (the executable being
# linked: $<TARGET_PROPERTY:...> names the consumer at the head of the link),
# to the archives. Compile flags of the core libraries do not change.
option(PYAUTOPSY_STATIC_CLI "Link the pyautopsy executable's libraries statically, all but libc" ON)

set(PYAUTOPSY_STATIC_CLI_ACTIVE OFF)
if(PYAUTOPSY_STATIC_CLI AND NOT PYAUTOPSY_SANITIZE AND NOT PYAUTOPSY_TSAN AND NOT PYAUTOPSY_FUZZ)
  # In the order the linker needs them: each archive before the ones it uses.
  set(PYAUTOPSY_STATIC_ARCHIVES dw elf zstd lz4 lzma bz2 z)
  set(PYAUTOPSY_STATIC_ARCHIVE_PATHS)
  set(missing)
  foreach(name IN LISTS PYAUTOPSY_STATIC_ARCHIVES)
    find_library(PYAUTOPSY_ARCHIVE_${name} NAMES lib${name}.a)
    if(PYAUTOPSY_ARCHIVE_${name})
      list(APPEND PYAUTOPSY_STATIC_ARCHIVE_PATHS ${PYAUTOPSY_ARCHIVE_${name}})
    else()
      list(APPEND missing lib${name}.a)
    endif()
  endforeach()
  include(CheckCXXSourceCompiles)
  set(CMAKE_REQUIRED_LINK_OPTIONS -static-libstdc++ -static-libgcc)
  check_cxx_source_compiles("#include <string>\nint main() { return static_cast<int>(std::string(\"x\").size()) - 1; }"
                            PYAUTOPSY_HAVE_STATIC_LIBSTDCXX)
  unset(CMAKE_REQUIRED_LINK_OPTIONS)
  if(NOT PYAUTOPSY_HAVE_STATIC_LIBSTDCXX)
    list(APPEND missing libstdc++.a)
  endif()
  if(missing)
    message(STATUS "pyautopsy links its libraries dynamically: no ${missing}")
  else()
    set(PYAUTOPSY_STATIC_CLI_ACTIVE ON)
  endif()
endif()

if(PYAUTOPSY_STATIC_CLI_ACTIVE)
  add_library(pyautopsy_static_archives INTERFACE)
  target_link_libraries(pyautopsy_static_archives INTERFACE ${PYAUTOPSY_STATIC_ARCHIVE_PATHS} Threads::Threads)
endif()

# pyautopsy_dependency(<name> <shared target> [<static target>]): the
# interface target pyautopsy_dep_<name> described above. Without a static
# target, the archives stand in for the shared one.
function(pyautopsy_dependency name shared)
  add_library(pyautopsy_dep_${name} INTERFACE)
  if(NOT PYAUTOPSY_STATIC_CLI_ACTIVE)
    target_link_libraries(pyautopsy_dep_${name} INTERFACE ${shared})
    return()
  endif()
  set(static pyautopsy_static_archives)
  if(ARGC GREATER 2)
    set(static ${ARGV2})
  endif()
  set(wantsStatic "$<BOOL:$<TARGET_PROPERTY:PYAUTOPSY_STATIC_DEPS>>")
  target_link_libraries(pyautopsy_dep_${name} INTERFACE
    "$<$<NOT:${wantsStatic}>:${shared}>"
    "$<${wantsStatic}:${static}>")
endfunction()

find_package(Threads REQUIRED)
find_package(ZLIB REQUIRED)
pkg_check_modules(LIBZSTD REQUIRED IMPORTED_TARGET libzstd)
pkg_check_modules(LIBLZ4 REQUIRED IMPORTED_TARGET liblz4)
pkg_check_modules(LIBLZMA REQUIRED IMPORTED_TARGET liblzma)
pyautopsy_dependency(elf PkgConfig::LIBELF)
pyautopsy_dependency(dw PkgConfig::LIBDW)
pyautopsy_dependency(zstd PkgConfig::LIBZSTD)
pyautopsy_dependency(lz4 PkgConfig::LIBLZ4)
pyautopsy_dependency(lzma PkgConfig::LIBLZMA)
pyautopsy_dependency(zlib ZLIB::ZLIB)
# fmt has no archive in Debian: cli/FmtStatic.cpp compiles its few
# out-of-line functions into the executable.
pyautopsy_dependency(fmt fmt::fmt pyautopsy_fmt_static)

# pyautopsy_static_executable(<target>): links <target> as described above.
function(pyautopsy_static_executable target)
  if(NOT PYAUTOPSY_STATIC_CLI_ACTIVE)
    return()
  endif()
  set_target_properties(${target} PROPERTIES PYAUTOPSY_STATIC_DEPS ON)
  target_link_options(${target} PRIVATE -static-libstdc++ -static-libgcc)
endfunction()
