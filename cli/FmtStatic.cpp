// fmt's out-of-line functions, compiled into the executable that links its
// libraries statically (cmake/StaticCli.cmake): Debian ships fmt as a shared
// library only. format-inl.h defines them; the two templates the formatting
// of numbers calls for `char` are instantiated here explicitly, as the
// library's own build does.
#include <fmt/format-inl.h>

FMT_BEGIN_NAMESPACE
namespace detail {
template thousands_sep_result<char> thousands_sep_impl<char>(locale_ref);
template char decimal_point_impl<char>(locale_ref);
}  // namespace detail
FMT_END_NAMESPACE
