#include "host/library_keeper.hpp"

#include <deque>
#include <mutex>

namespace onnxport {

const boost::dll::shared_library& keep_loaded_forever(boost::dll::shared_library lib) {
  // Deliberately leaked: a static container would be destroyed at exit and
  // dlclose the plugins before other static destructors that may still call
  // into them. A deque keeps references to its elements valid on push_back.
  static auto* libraries = new std::deque<boost::dll::shared_library>();
  static auto* mutex = new std::mutex();
  std::lock_guard<std::mutex> lock(*mutex);
  libraries->push_back(std::move(lib));
  return libraries->back();
}

}  // namespace onnxport
