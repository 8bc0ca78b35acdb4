// Compiled as C++: the public header must be usable from C++ programs.
#include "dedup.h"

int main()
{
    dedup_params *p = nullptr;
    if (dedup_params_create(&p) != DEDUP_OK)
        return 1;
    dedup_params_free(p);
    return dedup_version_number() == DEDUP_VERSION_NUMBER ? 0 : 1;
}
