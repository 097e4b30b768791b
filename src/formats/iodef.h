/* placeholder */
#ifndef ATALAYA_IODEF_H
#define ATALAYA_IODEF_H
#endif
