#include "formats/iodef.h"
