#include <burrow/ws/frame_header.hpp>
