// For stackdepth_real_data: reads lines "<minor> <code hex> <exception table
// hex or -> <co_stacksize>" and prints, per line, the deepest stack depth the
// walk finds ("none" where it gives up).
#include "runtime/code/StackDepth.h"

#include <iostream>
#include <sstream>
#include <string>

namespace {

std::vector<std::uint8_t> fromHex(const std::string& hex)
{
    std::vector<std::uint8_t> out;
    if (hex == "-") return out;
    for (std::size_t i = 0; i + 1 < hex.size(); i += 2)
        out.push_back(static_cast<std::uint8_t>(std::stoi(hex.substr(i, 2), nullptr, 16)));
    return out;
}

}  // namespace

int main()
{
    using namespace pyautopsy::runtime;
    std::string line;
    while (std::getline(std::cin, line)) {
        std::istringstream in(line);
        int minor = 0;
        std::string code, table;
        std::uint32_t stackSize = 0;
        in >> minor >> code >> table >> stackSize;
        const BytecodeFacts* facts = bytecodeFacts(minor);
        const auto bytes = fromHex(code);
        const auto handlers = allHandlers(fromHex(table), 1 << 20);
        if (facts == nullptr || !handlers) {
            std::cout << "none\n";
            continue;
        }
        // No bound but the probe's: the deepest depth is what is checked.
        auto depths = analyseStackDepths(*facts, bytes, *handlers, 1 << 20);
        if (depths)
            std::cout << depths->deepest << "\n";
        else
            std::cout << "none\n";
    }
    return 0;
}
