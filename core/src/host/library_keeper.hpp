// Process-lifetime storage for every library a PluginHost opened.
#pragma once

#include <boost/dll/shared_library.hpp>

namespace onnxport {

// Takes ownership of `lib` and never unloads it, not even at exit: objects
// whose code lives in a plugin (vtables, deleters, exception types,
// type_info, static destructors) may be touched until the very end of the
// process. Returns a reference that stays valid for the whole process.
// Thread-safe.
const boost::dll::shared_library& keep_loaded_forever(boost::dll::shared_library lib);

}  // namespace onnxport
