// mql5rt.h - the MQL5 runtime the translated EA is compiled against (mql-test-harness).
// Deliberately includes no C or C++ library header: an EA that calls printf, sqrt or memcpy fails to
// compile here as it does in MetaEditor. Everything that needs the C library lives in mql5rt.cpp.
#ifndef MQL5RT_H
#define MQL5RT_H

typedef unsigned char uchar;
typedef unsigned short ushort;
typedef unsigned int uint;
typedef unsigned long ulong;
typedef long datetime;
typedef uint color;

// ------------------------------------------------------------------------------------------ failures
// A runtime failure stops the program as the terminal's "critical error" does (file:line of the .mq5).
[[noreturn]] void mqlrt_fatal(const char *what, const char *file, int line);
[[noreturn]] void mqlrt_array_out_of_range(int index, int size, const char *file, int line);

// ------------------------------------------------------------------------------------------ string
// UTF-16 like MQL5's strings.
class string
  {
   char16_t *p_;
   int n_;
   int cap_;
   void init(const char16_t *s, int n);
public:
   string() : p_(nullptr), n_(0), cap_(0) {}
   string(const char16_t *lit);
   string(const string &o);
   string(string &&o) noexcept : p_(o.p_), n_(o.n_), cap_(o.cap_) { o.p_ = nullptr; o.n_ = 0; o.cap_ = 0; }
   explicit string(int v);
   explicit string(uint v);
   explicit string(long v);
   explicit string(ulong v);
   explicit string(double v);
   explicit string(bool v);
   ~string();
   string &operator=(const string &o);
   string &operator=(string &&o) noexcept;
   string &operator+=(const string &o);
   int len() const { return n_; }
   const char16_t *data() const { return p_; }
   char16_t at(int i) const { return (i >= 0 && i < n_) ? p_[i] : 0; }
   void set(int i, char16_t c) { if(i >= 0 && i < n_) p_[i] = c; }
   void resize(int n);
   static string from16(const char16_t *s, int n);
   friend string operator+(const string &a, const string &b);
   friend bool operator==(const string &a, const string &b);
   friend bool operator<(const string &a, const string &b);
  };
string operator+(const string &a, const string &b);
bool operator==(const string &a, const string &b);
inline bool operator!=(const string &a, const string &b) { return !(a == b); }
bool operator<(const string &a, const string &b);
inline bool operator>(const string &a, const string &b) { return b < a; }

// ------------------------------------------------------------------------------------------ arrays
struct mql_fixed_tag {};
// An array index that remembers where it was written: the default arguments are evaluated at the call site,
// so a bounds error names the .mq5/.mqh line (the translation keeps #line).
struct mql_index
  {
   int i;
   const char *file;
   int line;
   mql_index(int v, const char *f = __builtin_FILE(), int l = __builtin_LINE()) : i(v), file(f), line(l) {}
  };

// Dynamic and fixed arrays with bounds checks. Move-only: MQL5 has no array assignment (`a = b`).
template <typename T>
class mql_array
  {
   T *d_;
   int n_;
   int cap_;
   bool fixed_;
public:
   mql_array() : d_(nullptr), n_(0), cap_(0), fixed_(false) {}
   mql_array(mql_fixed_tag, int n) : d_(nullptr), n_(0), cap_(0), fixed_(false) { resize(n, 0); fixed_ = true; }
   mql_array(const mql_array &) = delete;
   mql_array &operator=(const mql_array &) = delete;
   mql_array(mql_array &&o) noexcept : d_(o.d_), n_(o.n_), cap_(o.cap_), fixed_(o.fixed_) { o.d_ = nullptr; o.n_ = 0; o.cap_ = 0; }
   mql_array &operator=(mql_array &&o) noexcept
     {
      if(this != &o)
        {
         clear();
         d_ = o.d_; n_ = o.n_; cap_ = o.cap_; fixed_ = o.fixed_;
         o.d_ = nullptr; o.n_ = 0; o.cap_ = 0;
        }
      return *this;
     }
   ~mql_array() { clear(); }
   void clear()
     {
      if(d_)
        {
         delete[] d_;
        }
      d_ = nullptr;
      n_ = 0;
      cap_ = 0;
     }
   int size() const { return n_; }
   bool fixed() const { return fixed_; }
   T &operator[](mql_index x) { return at(x.i, x.file, x.line); }
   const T &operator[](mql_index x) const { return at(x.i, x.file, x.line); }
   T &at(int i, const char *file, int line)
     {
      if(i < 0 || i >= n_)
         mqlrt_array_out_of_range(i, n_, file, line);
      return d_[i];
     }
   const T &at(int i, const char *file, int line) const
     {
      if(i < 0 || i >= n_)
         mqlrt_array_out_of_range(i, n_, file, line);
      return d_[i];
     }
   // returns the new size, or -1 for a fixed array
   int resize(int n, int reserve)
     {
      if(fixed_)
         return n == n_ ? n : -1;
      if(n < 0)
         return -1;
      if(n > cap_)
        {
         int c = n + (reserve > 0 ? reserve : 0);
         T *nd = new T[c]();
         for(int k = 0; k < n_; k++)
            nd[k] = static_cast<T &&>(d_[k]);
         if(d_)
            delete[] d_;
         d_ = nd;
         cap_ = c;
        }
      else
         for(int k = n; k < n_; k++)
            d_[k] = T();
      n_ = n;
      return n_;
     }
  };

template <typename T> inline int ArraySize(const mql_array<T> &a) { return a.size(); }
template <typename T> inline int ArrayResize(mql_array<T> &a, int n, int reserve = 0) { return a.resize(n, reserve); }
template <typename T> inline void ArrayFree(mql_array<T> &a) { if(!a.fixed()) a.clear(); }
template <typename T, typename V> inline int ArrayInitialize(mql_array<T> &a, V v)
  {
   for(int k = 0; k < a.size(); k++)
      a[k] = (T)v;
   return a.size();
  }
template <typename T, typename V> inline void ArrayFill(mql_array<T> &a, int start, int count, V v)
  {
   for(int k = start; k < start + count; k++)
      a[k] = (T)v;
  }
#define WHOLE_ARRAY (-1)
// MQL5 ArrayCopy: returns elements copied; a dynamic destination grows
template <typename T> int ArrayCopy(mql_array<T> &dst, const mql_array<T> &src, int dst_start = 0, int src_start = 0, int count = WHOLE_ARRAY)
  {
   if(src_start < 0 || dst_start < 0 || src_start > src.size())
      return 0;
   int n = src.size() - src_start;
   if(count >= 0 && count < n)
      n = count;
   if(n <= 0)
      return 0;
   if(dst.size() < dst_start + n)
     {
      if(dst.fixed())
         n = dst.size() - dst_start;
      else
         dst.resize(dst_start + n, 0);
     }
   if(&dst == &src && dst_start > src_start)
      for(int k = n - 1; k >= 0; k--)
         dst[dst_start + k] = src[src_start + k];
   else
      for(int k = 0; k < n; k++)
         dst[dst_start + k] = src[src_start + k];
   return n;
  }
template <typename T> inline bool ArraySetAsSeries(mql_array<T> &, bool) { return false; }

// ------------------------------------------------------------------------------------------ enums
enum ENUM_INIT_RETCODE : int { INIT_SUCCEEDED = 0, INIT_FAILED = 1, INIT_PARAMETERS_INCORRECT = 2, INIT_AGENT_NOT_SUITABLE = 3 };
#define INVALID_HANDLE (-1)
#define CP_ACP 0
#define CP_UTF8 65001
#define EMPTY_VALUE 1.7976931348623157e308
#ifndef CHAR_MAX
#define CHAR_MAX 127
#endif
#ifndef UCHAR_MAX
#define UCHAR_MAX 255
#endif
#ifndef SHORT_MAX
#define SHORT_MAX 32767
#endif
#ifndef USHORT_MAX
#define USHORT_MAX 65535
#endif
#ifndef INT_MAX
#define INT_MAX 2147483647
#endif
#ifndef INT_MIN
#define INT_MIN (-2147483647 - 1)
#endif
#ifndef UINT_MAX
#define UINT_MAX 4294967295U
#endif
#ifndef LONG_MAX
#define LONG_MAX 9223372036854775807L
#endif
#ifndef LONG_MIN
#define LONG_MIN (-9223372036854775807L - 1)
#endif
#ifndef ULONG_MAX
#define ULONG_MAX 18446744073709551615UL
#endif
#ifndef M_PI
#define M_PI 3.14159265358979323846
#endif
#define COPY_TICKS_INFO 1
#define COPY_TICKS_TRADE 2
#define COPY_TICKS_ALL (-1)
#define TICK_FLAG_BID 2
#define TICK_FLAG_ASK 4
#define TICK_FLAG_LAST 8
#define TICK_FLAG_VOLUME 16
#define TICK_FLAG_BUY 32
#define TICK_FLAG_SELL 64
#define SYMBOL_FILLING_FOK 1
#define SYMBOL_FILLING_IOC 2
#define SYMBOL_FILLING_BOC 4
#define ERR_NETSOCKET_INVALIDHANDLE 5270
#define ERR_NETSOCKET_TOO_MANY_OPENED 5271
#define ERR_NETSOCKET_CANNOT_CONNECT 5272
#define ERR_NETSOCKET_IO_ERROR 5273
#define ERR_ARRAY_RESIZE_ERROR 4007

enum ENUM_TIMEFRAMES : int
  {
   PERIOD_CURRENT = 0, PERIOD_M1 = 1, PERIOD_M2 = 2, PERIOD_M3 = 3, PERIOD_M4 = 4, PERIOD_M5 = 5, PERIOD_M6 = 6,
   PERIOD_M10 = 10, PERIOD_M12 = 12, PERIOD_M15 = 15, PERIOD_M20 = 20, PERIOD_M30 = 30, PERIOD_H1 = 16385,
   PERIOD_H2 = 16386, PERIOD_H3 = 16387, PERIOD_H4 = 16388, PERIOD_H6 = 16390, PERIOD_H8 = 16392,
   PERIOD_H12 = 16396, PERIOD_D1 = 16408, PERIOD_W1 = 32769, PERIOD_MN1 = 49153
  };
enum ENUM_SYMBOL_TRADE_EXECUTION : int
  {
   SYMBOL_TRADE_EXECUTION_REQUEST = 0, SYMBOL_TRADE_EXECUTION_INSTANT = 1, SYMBOL_TRADE_EXECUTION_MARKET = 2,
   SYMBOL_TRADE_EXECUTION_EXCHANGE = 3
  };
// ENUM_SYMBOL_SWAP_MODE with MT5's numbers (those of the MetaTrader5 Python package; CURRENCY_PROFIT, added later, last)
enum ENUM_SYMBOL_SWAP_MODE : int
  {
   SYMBOL_SWAP_MODE_DISABLED = 0, SYMBOL_SWAP_MODE_POINTS = 1, SYMBOL_SWAP_MODE_CURRENCY_SYMBOL = 2,
   SYMBOL_SWAP_MODE_CURRENCY_MARGIN = 3, SYMBOL_SWAP_MODE_CURRENCY_DEPOSIT = 4, SYMBOL_SWAP_MODE_INTEREST_CURRENT = 5,
   SYMBOL_SWAP_MODE_INTEREST_OPEN = 6, SYMBOL_SWAP_MODE_REOPEN_CURRENT = 7, SYMBOL_SWAP_MODE_REOPEN_BID = 8,
   SYMBOL_SWAP_MODE_CURRENCY_PROFIT = 9
  };
enum ENUM_DEINIT_REASON_ : int
  {
   REASON_PROGRAM = 0, REASON_REMOVE = 1, REASON_RECOMPILE = 2, REASON_CHARTCHANGE = 3, REASON_CHARTCLOSE = 4,
   REASON_PARAMETERS = 5, REASON_ACCOUNT = 6, REASON_TEMPLATE = 7, REASON_INITFAILED = 8, REASON_CLOSE = 9
  };
// files (binary subset), in the sandbox folder MQLRT_FILES_DIR (the terminal's MQL5\Files)
#define FILE_READ 1
#define FILE_WRITE 2
#define FILE_BIN 4
#define FILE_CSV 8
#define FILE_TXT 16
#define FILE_ANSI 32
#define FILE_SHARE_READ 128
#define FILE_SHARE_WRITE 256
#define FILE_UNICODE 64
#define FILE_COMMON 4096
enum ENUM_FILE_POSITION : int { SEEK_SET = 0, SEEK_CUR = 1, SEEK_END = 2 };
enum ENUM_DAY_OF_WEEK : int { SUNDAY = 0, MONDAY, TUESDAY, WEDNESDAY, THURSDAY, FRIDAY, SATURDAY };
enum ENUM_CRYPT_METHOD : int { CRYPT_BASE64 = 0, CRYPT_AES128 = 1, CRYPT_AES256 = 2, CRYPT_DES = 3, CRYPT_HASH_SHA1 = 4, CRYPT_HASH_SHA256 = 5, CRYPT_HASH_MD5 = 6, CRYPT_ARCH_ZIP = 7 };
enum ENUM_ACCOUNT_INFO_INTEGER : int
  {
   ACCOUNT_LOGIN = 0, ACCOUNT_TRADE_MODE = 32, ACCOUNT_LEVERAGE = 35, ACCOUNT_LIMIT_ORDERS = 47, ACCOUNT_MARGIN_SO_MODE = 44,
   ACCOUNT_TRADE_ALLOWED = 33, ACCOUNT_TRADE_EXPERT = 34, ACCOUNT_MARGIN_MODE = 50, ACCOUNT_CURRENCY_DIGITS = 51,
   ACCOUNT_FIFO_CLOSE = 52, ACCOUNT_HEDGE_ALLOWED = 53
  };
enum ENUM_ACCOUNT_INFO_DOUBLE : int
  {
   ACCOUNT_BALANCE = 37, ACCOUNT_CREDIT = 38, ACCOUNT_PROFIT = 39, ACCOUNT_EQUITY = 40, ACCOUNT_MARGIN = 41,
   ACCOUNT_MARGIN_FREE = 42, ACCOUNT_MARGIN_LEVEL = 43, ACCOUNT_MARGIN_SO_CALL = 45, ACCOUNT_MARGIN_SO_SO = 46
  };
enum ENUM_ACCOUNT_INFO_STRING : int { ACCOUNT_NAME = 1, ACCOUNT_SERVER = 3, ACCOUNT_CURRENCY = 36, ACCOUNT_COMPANY = 2 };
enum ENUM_TERMINAL_INFO_INTEGER : int
  {
   TERMINAL_BUILD = 5, TERMINAL_CONNECTED = 6, TERMINAL_TRADE_ALLOWED = 8, TERMINAL_DLLS_ALLOWED = 7, TERMINAL_PING_LAST = 28
  };
enum ENUM_TERMINAL_INFO_STRING : int { TERMINAL_NAME = 11, TERMINAL_COMPANY = 12, TERMINAL_PATH = 13, TERMINAL_DATA_PATH = 14, TERMINAL_COMMONDATA_PATH = 29 };
enum ENUM_MQL_INFO_INTEGER : int { MQL_TRADE_ALLOWED = 7, MQL_TESTER = 4, MQL_DEBUG = 5, MQL_PROGRAM_TYPE = 2 };
enum ENUM_SYMBOL_INFO_INTEGER : int
  {
   SYMBOL_SELECT = 0, SYMBOL_DIGITS = 17, SYMBOL_SPREAD = 18, SYMBOL_TRADE_STOPS_LEVEL = 31, SYMBOL_TRADE_FREEZE_LEVEL = 32,
   SYMBOL_TRADE_MODE = 30, SYMBOL_TRADE_EXEMODE = 33, SYMBOL_TRADE_CALC_MODE = 29, SYMBOL_FILLING_MODE = 50,
   SYMBOL_SWAP_MODE = 37, SYMBOL_SWAP_ROLLOVER3DAYS = 40, SYMBOL_TIME = 15, SYMBOL_EXPIRATION_MODE = 49, SYMBOL_ORDER_MODE = 71
  };
enum ENUM_SYMBOL_INFO_DOUBLE : int
  {
   SYMBOL_BID = 1, SYMBOL_ASK = 4, SYMBOL_LAST = 7, SYMBOL_POINT = 16, SYMBOL_TRADE_TICK_VALUE = 26, SYMBOL_TRADE_TICK_SIZE = 27,
   SYMBOL_TRADE_CONTRACT_SIZE = 28, SYMBOL_VOLUME_MIN = 34, SYMBOL_VOLUME_MAX = 35, SYMBOL_VOLUME_STEP = 36,
   SYMBOL_SWAP_LONG = 38, SYMBOL_SWAP_SHORT = 39
  };
enum ENUM_SYMBOL_INFO_STRING : int
  {
   SYMBOL_CURRENCY_BASE = 22, SYMBOL_CURRENCY_PROFIT = 23, SYMBOL_CURRENCY_MARGIN = 24, SYMBOL_DESCRIPTION = 20, SYMBOL_PATH = 21
  };
enum ENUM_POSITION_PROPERTY_INTEGER : int
  {
   POSITION_TICKET = 0, POSITION_TIME = 1, POSITION_TIME_MSC = 2, POSITION_TYPE = 3, POSITION_MAGIC = 4,
   POSITION_IDENTIFIER = 5, POSITION_REASON = 6, POSITION_TIME_UPDATE = 7
  };
enum ENUM_POSITION_PROPERTY_DOUBLE : int
  {
   POSITION_VOLUME = 10, POSITION_PRICE_OPEN = 11, POSITION_SL = 12, POSITION_TP = 13, POSITION_PRICE_CURRENT = 14,
   POSITION_SWAP = 15, POSITION_PROFIT = 16
  };
enum ENUM_POSITION_PROPERTY_STRING : int { POSITION_SYMBOL = 20, POSITION_COMMENT = 21, POSITION_EXTERNAL_ID = 22 };
enum ENUM_POSITION_TYPE : int { POSITION_TYPE_BUY = 0, POSITION_TYPE_SELL = 1 };
enum ENUM_ORDER_PROPERTY_INTEGER : int
  {
   ORDER_TICKET = 0, ORDER_TIME_SETUP = 1, ORDER_TYPE = 2, ORDER_STATE = 3, ORDER_TIME_EXPIRATION = 4, ORDER_TIME_DONE = 5,
   ORDER_TYPE_FILLING = 6, ORDER_TYPE_TIME = 7, ORDER_MAGIC = 8, ORDER_POSITION_ID = 9, ORDER_TIME_SETUP_MSC = 10
  };
enum ENUM_ORDER_PROPERTY_DOUBLE : int
  {
   ORDER_VOLUME_INITIAL = 20, ORDER_VOLUME_CURRENT = 21, ORDER_PRICE_OPEN = 22, ORDER_SL = 23, ORDER_TP = 24,
   ORDER_PRICE_CURRENT = 25, ORDER_PRICE_STOPLIMIT = 26
  };
enum ENUM_ORDER_PROPERTY_STRING : int { ORDER_SYMBOL = 30, ORDER_COMMENT = 31, ORDER_EXTERNAL_ID = 32 };
enum ENUM_DEAL_PROPERTY_INTEGER : int
  {
   DEAL_TICKET = 0, DEAL_ORDER = 1, DEAL_TIME = 2, DEAL_TIME_MSC = 3, DEAL_TYPE = 4, DEAL_ENTRY = 5, DEAL_MAGIC = 6,
   DEAL_POSITION_ID = 7, DEAL_REASON = 8
  };
enum ENUM_DEAL_PROPERTY_DOUBLE : int { DEAL_VOLUME = 10, DEAL_PRICE = 11, DEAL_COMMISSION = 12, DEAL_SWAP = 13, DEAL_PROFIT = 14, DEAL_FEE = 15 };
enum ENUM_DEAL_PROPERTY_STRING : int { DEAL_SYMBOL = 20, DEAL_COMMENT = 21, DEAL_EXTERNAL_ID = 22 };
enum ENUM_ORDER_TYPE : int
  {
   ORDER_TYPE_BUY = 0, ORDER_TYPE_SELL = 1, ORDER_TYPE_BUY_LIMIT = 2, ORDER_TYPE_SELL_LIMIT = 3, ORDER_TYPE_BUY_STOP = 4,
   ORDER_TYPE_SELL_STOP = 5, ORDER_TYPE_BUY_STOP_LIMIT = 6, ORDER_TYPE_SELL_STOP_LIMIT = 7, ORDER_TYPE_CLOSE_BY = 8
  };
enum ENUM_ORDER_STATE : int
  {
   ORDER_STATE_STARTED = 0, ORDER_STATE_PLACED = 1, ORDER_STATE_CANCELED = 2, ORDER_STATE_PARTIAL = 3, ORDER_STATE_FILLED = 4,
   ORDER_STATE_REJECTED = 5, ORDER_STATE_EXPIRED = 6, ORDER_STATE_REQUEST_ADD = 7, ORDER_STATE_REQUEST_MODIFY = 8,
   ORDER_STATE_REQUEST_CANCEL = 9
  };
enum ENUM_ORDER_TYPE_FILLING : int { ORDER_FILLING_FOK = 0, ORDER_FILLING_IOC = 1, ORDER_FILLING_RETURN = 2, ORDER_FILLING_BOC = 3 };
enum ENUM_ORDER_TYPE_TIME : int { ORDER_TIME_GTC = 0, ORDER_TIME_DAY = 1, ORDER_TIME_SPECIFIED = 2, ORDER_TIME_SPECIFIED_DAY = 3 };
enum ENUM_DEAL_TYPE : int { DEAL_TYPE_BUY = 0, DEAL_TYPE_SELL = 1, DEAL_TYPE_BALANCE = 2 };
enum ENUM_DEAL_ENTRY : int { DEAL_ENTRY_IN = 0, DEAL_ENTRY_OUT = 1, DEAL_ENTRY_INOUT = 2, DEAL_ENTRY_OUT_BY = 3 };
enum ENUM_TRADE_REQUEST_ACTIONS : int
  {
   TRADE_ACTION_DEAL = 1, TRADE_ACTION_PENDING = 5, TRADE_ACTION_SLTP = 6, TRADE_ACTION_MODIFY = 7, TRADE_ACTION_REMOVE = 8,
   TRADE_ACTION_CLOSE_BY = 10
  };
enum ENUM_TRADE_TRANSACTION_TYPE : int
  {
   TRADE_TRANSACTION_ORDER_ADD = 0, TRADE_TRANSACTION_ORDER_UPDATE = 1, TRADE_TRANSACTION_ORDER_DELETE = 2,
   TRADE_TRANSACTION_HISTORY_ADD = 3, TRADE_TRANSACTION_HISTORY_UPDATE = 4, TRADE_TRANSACTION_HISTORY_DELETE = 5,
   TRADE_TRANSACTION_DEAL_ADD = 6, TRADE_TRANSACTION_DEAL_UPDATE = 7, TRADE_TRANSACTION_DEAL_DELETE = 8,
   TRADE_TRANSACTION_POSITION = 9, TRADE_TRANSACTION_REQUEST = 10
  };
#define TRADE_RETCODE_REQUOTE 10004
#define TRADE_RETCODE_REJECT 10006
#define TRADE_RETCODE_CANCEL 10007
#define TRADE_RETCODE_PLACED 10008
#define TRADE_RETCODE_DONE 10009
#define TRADE_RETCODE_DONE_PARTIAL 10010
#define TRADE_RETCODE_ERROR 10011
#define TRADE_RETCODE_TIMEOUT 10012
#define TRADE_RETCODE_INVALID 10013
#define TRADE_RETCODE_INVALID_VOLUME 10014
#define TRADE_RETCODE_INVALID_PRICE 10015
#define TRADE_RETCODE_INVALID_STOPS 10016
#define TRADE_RETCODE_TRADE_DISABLED 10017
#define TRADE_RETCODE_MARKET_CLOSED 10018
#define TRADE_RETCODE_NO_MONEY 10019
#define TRADE_RETCODE_PRICE_CHANGED 10020
#define TRADE_RETCODE_PRICE_OFF 10021
#define TRADE_RETCODE_INVALID_EXPIRATION 10022
#define TRADE_RETCODE_ORDER_CHANGED 10023
#define TRADE_RETCODE_TOO_MANY_REQUESTS 10024
#define TRADE_RETCODE_NO_CHANGES 10025
#define TRADE_RETCODE_SERVER_DISABLES_AT 10026
#define TRADE_RETCODE_CLIENT_DISABLES_AT 10027
#define TRADE_RETCODE_LOCKED 10028
#define TRADE_RETCODE_FROZEN 10029
#define TRADE_RETCODE_INVALID_FILL 10030
#define TRADE_RETCODE_CONNECTION 10031
#define TRADE_RETCODE_ONLY_REAL 10032
#define TRADE_RETCODE_LIMIT_ORDERS 10033
#define TRADE_RETCODE_LIMIT_VOLUME 10034
#define TRADE_RETCODE_INVALID_ORDER 10035
#define TRADE_RETCODE_POSITION_CLOSED 10036

// ------------------------------------------------------------------------------------------ structs
struct MqlTick
  {
   datetime time;
   double bid;
   double ask;
   double last;
   ulong volume;
   long time_msc;
   uint flags;
   double volume_real;
  };
struct MqlRates
  {
   datetime time;
   double open;
   double high;
   double low;
   double close;
   long tick_volume;
   int spread;
   long real_volume;
  };
struct MqlDateTime
  {
   int year, mon, day, hour, min, sec, day_of_week, day_of_year;
  };
struct MqlTradeRequest
  {
   ENUM_TRADE_REQUEST_ACTIONS action;
   ulong magic;
   ulong order;
   string symbol;
   double volume;
   double price;
   double stoplimit;
   double sl;
   double tp;
   ulong deviation;
   ENUM_ORDER_TYPE type;
   ENUM_ORDER_TYPE_FILLING type_filling;
   ENUM_ORDER_TYPE_TIME type_time;
   datetime expiration;
   string comment;
   ulong position;
   ulong position_by;
  };
struct MqlTradeResult
  {
   uint retcode;
   ulong deal;
   ulong order;
   double volume;
   double price;
   double bid;
   double ask;
   string comment;
   uint request_id;
   int retcode_external;
  };
struct MqlTradeTransaction
  {
   ulong deal;
   ulong order;
   string symbol;
   ENUM_TRADE_TRANSACTION_TYPE type;
   ENUM_ORDER_TYPE order_type;
   ENUM_ORDER_STATE order_state;
   ENUM_DEAL_TYPE deal_type;
   ENUM_ORDER_TYPE_TIME time_type;
   datetime time_expiration;
   double price;
   double price_trigger;
   double price_sl;
   double price_tp;
   double volume;
   ulong position;
   ulong position_by;
  };

template <typename T> inline void ZeroMemory(T &v) { v = T(); }
template <typename T> inline void ZeroMemory(mql_array<T> &a) { for(int k = 0; k < a.size(); k++) a[k] = T(); }

// ------------------------------------------------------------------------------------------ globals
extern int _LastError;
extern string _Symbol;
extern ENUM_TIMEFRAMES _Period;
extern int _Digits;
extern double _Point;
extern bool _StopFlag;
int GetLastError();
void ResetLastError();
void SetUserError(ushort code);
bool IsStopped();
void ExpertRemove();

// ------------------------------------------------------------------------------------------ conversions
string IntegerToString(long v, int len = 0, ushort fill = ' ');
string DoubleToString(double v, int digits = 8);
long StringToInteger(const string &s);
double StringToDouble(const string &s);
string TimeToString(datetime t, int mode = 3);
double NormalizeDouble(double v, int digits);
string CharToString(uchar c);
string ShortToString(ushort c);

// ------------------------------------------------------------------------------------------ strings
int StringLen(const string &s);
string StringSubstr(const string &s, int start, int length = -1);
int StringFind(const string &s, const string &what, int start = 0);
bool StringToLower(string &s);
bool StringToUpper(string &s);
int StringTrimLeft(string &s);
int StringTrimRight(string &s);
int StringReplace(string &s, const string &find, const string &repl);
ushort StringGetCharacter(const string &s, int pos);
bool StringSetCharacter(string &s, int pos, ushort c);
int StringCompare(const string &a, const string &b, bool case_sensitive = true);
bool StringAdd(string &s, const string &add);
int StringSplit(const string &s, ushort sep, mql_array<string> &out);
int StringToCharArray(const string &s, mql_array<uchar> &out, int start = 0, int count = -1, uint codepage = CP_ACP);
string CharArrayToString(const mql_array<uchar> &a, int start = 0, int count = -1, uint codepage = CP_ACP);

// formatting: every argument becomes one of four kinds
struct mqlrt_arg
  {
   int kind; // 0 long, 1 ulong, 2 double, 3 string
   long l;
   ulong u;
   double d;
   const string *s;
   mqlrt_arg(char v) : kind(0), l(v), u(0), d(0), s(nullptr) {}
   mqlrt_arg(uchar v) : kind(0), l(v), u(0), d(0), s(nullptr) {}
   mqlrt_arg(short v) : kind(0), l(v), u(0), d(0), s(nullptr) {}
   mqlrt_arg(ushort v) : kind(0), l(v), u(0), d(0), s(nullptr) {}
   mqlrt_arg(int v) : kind(0), l(v), u(0), d(0), s(nullptr) {}
   mqlrt_arg(uint v) : kind(0), l(v), u(0), d(0), s(nullptr) {}
   mqlrt_arg(long v) : kind(0), l(v), u(0), d(0), s(nullptr) {}
   mqlrt_arg(ulong v) : kind(1), l(0), u(v), d(0), s(nullptr) {}
   mqlrt_arg(bool v) : kind(3), l(0), u(0), d(0), s(v ? &mqlrt_true() : &mqlrt_false()) {}
   mqlrt_arg(float v) : kind(2), l(0), u(0), d(v), s(nullptr) {}
   mqlrt_arg(double v) : kind(2), l(0), u(0), d(v), s(nullptr) {}
   mqlrt_arg(const string &v) : kind(3), l(0), u(0), d(0), s(&v) {}
   template <typename E> mqlrt_arg(E v) : kind(0), l((long)v), u(0), d(0), s(nullptr) {}
   static const string &mqlrt_true();
   static const string &mqlrt_false();
  };
string mqlrt_format(const string &fmt, const mqlrt_arg *args, int n);
string mqlrt_concat(const mqlrt_arg *args, int n);
void mqlrt_print(const string &s);
void mqlrt_alert(const string &s);
void mqlrt_comment(const string &s);

inline string StringFormat(const string &fmt) { return mqlrt_format(fmt, nullptr, 0); }
template <typename... A> string StringFormat(const string &fmt, const A &...a)
  {
   const mqlrt_arg args[] = {mqlrt_arg(a)...};
   return mqlrt_format(fmt, args, (int)sizeof...(A));
  }
template <typename... A> void PrintFormat(const string &fmt, const A &...a) { mqlrt_print(StringFormat(fmt, a...)); }
template <typename... A> void Print(const A &...a)
  {
   const mqlrt_arg args[] = {mqlrt_arg(a)...};
   mqlrt_print(mqlrt_concat(args, (int)sizeof...(A)));
  }
inline void Print() { mqlrt_print(string()); }
template <typename... A> void Alert(const A &...a)
  {
   const mqlrt_arg args[] = {mqlrt_arg(a)...};
   mqlrt_alert(mqlrt_concat(args, (int)sizeof...(A)));
  }
template <typename... A> void Comment(const A &...a)
  {
   const mqlrt_arg args[] = {mqlrt_arg(a)...};
   mqlrt_comment(mqlrt_concat(args, (int)sizeof...(A)));
  }

// ------------------------------------------------------------------------------------------ math
int MathRand();
void MathSrand(int seed);
double MathAbs(double v);
double MathPow(double a, double b);
double MathSqrt(double v);
double MathFloor(double v);
double MathCeil(double v);
double MathRound(double v);
double MathLog(double v);
double MathExp(double v);
double MathMod(double a, double b);
bool MathIsValidNumber(double v);
template <typename A, typename B> inline auto MathMax(A a, B b) -> decltype(a + b) { return a > b ? a : b; }
template <typename A, typename B> inline auto MathMin(A a, B b) -> decltype(a + b) { return a < b ? a : b; }
inline long MathAbs(long v) { return v < 0 ? -v : v; }
inline int MathAbs(int v) { return v < 0 ? -v : v; }

// ------------------------------------------------------------------------------------------ time
uint GetTickCount();
ulong GetTickCount64();
ulong GetMicrosecondCount();
void Sleep(int ms);
datetime TimeCurrent();
datetime TimeTradeServer();
datetime TimeGMT();
datetime TimeLocal();
int TimeGMTOffset();
bool TimeToStruct(datetime t, MqlDateTime &s);
bool EventSetTimer(int seconds);
bool EventSetMillisecondTimer(int ms);
void EventKillTimer();

// ------------------------------------------------------------------------------------------ crypt
int CryptEncode(ENUM_CRYPT_METHOD method, const mql_array<uchar> &data, const mql_array<uchar> &key, mql_array<uchar> &result);

// ------------------------------------------------------------------------------------------ sockets (real TCP)
int SocketCreate(uint flags = 0);
bool SocketClose(int socket);
bool SocketConnect(int socket, const string &server, uint port, uint timeout_ms);
bool SocketIsConnected(int socket);
uint SocketIsReadable(int socket);
bool SocketIsWritable(int socket);
int SocketSend(int socket, const mql_array<uchar> &buf, uint len);
int SocketRead(int socket, mql_array<uchar> &buf, uint maxlen, uint timeout_ms);
bool SocketTimeouts(int socket, uint send_ms, uint recv_ms);

// ------------------------------------------------------------------------------------------ files
int FileOpen(const string &name, int flags, short delimiter = 9, uint codepage = CP_ACP);
void FileClose(int handle);
void FileFlush(int handle);
bool FileSeek(int handle, long offset, ENUM_FILE_POSITION origin);
ulong FileSize(int handle);
ulong FileTell(int handle);
bool FileIsEnding(int handle);
bool FileIsExist(const string &name, int common_flag = 0);
bool FileDelete(const string &name, int common_flag = 0);
bool FileMove(const string &src, int common_flag, const string &dst, int mode_flags);
uint FileWriteArray(int handle, const mql_array<uchar> &a, int start = 0, int count = WHOLE_ARRAY);
uint FileReadArray(int handle, mql_array<uchar> &a, int start = 0, int count = WHOLE_ARRAY);
uint FileWriteInteger(int handle, int value, int size = 4);
int FileReadInteger(int handle, int size = 4);
#define INT_VALUE 4
#define FILE_REWRITE 1

// ------------------------------------------------------------------------------------------ terminal (simulated)
long AccountInfoInteger(ENUM_ACCOUNT_INFO_INTEGER prop);
double AccountInfoDouble(ENUM_ACCOUNT_INFO_DOUBLE prop);
string AccountInfoString(ENUM_ACCOUNT_INFO_STRING prop);
long TerminalInfoInteger(ENUM_TERMINAL_INFO_INTEGER prop);
string TerminalInfoString(ENUM_TERMINAL_INFO_STRING prop);
long MQLInfoInteger(ENUM_MQL_INFO_INTEGER prop);
bool SymbolSelect(const string &symbol, bool select);
long SymbolInfoInteger(const string &symbol, ENUM_SYMBOL_INFO_INTEGER prop);
double SymbolInfoDouble(const string &symbol, ENUM_SYMBOL_INFO_DOUBLE prop);
string SymbolInfoString(const string &symbol, ENUM_SYMBOL_INFO_STRING prop);
bool SymbolInfoTick(const string &symbol, MqlTick &tick);
bool SymbolInfoSessionTrade(const string &symbol, ENUM_DAY_OF_WEEK day, uint index, datetime &from, datetime &to);
int CopyTicksRange(const string &symbol, mql_array<MqlTick> &ticks, uint flags = COPY_TICKS_ALL, ulong from_msc = 0, ulong to_msc = 0);
int CopyTicks(const string &symbol, mql_array<MqlTick> &ticks, uint flags = COPY_TICKS_ALL, ulong from = 0, uint count = 0);
int CopyRates(const string &symbol, ENUM_TIMEFRAMES tf, int start_pos, int count, mql_array<MqlRates> &rates);
int CopyRates(const string &symbol, ENUM_TIMEFRAMES tf, datetime start_time, int count, mql_array<MqlRates> &rates);
int CopyRates(const string &symbol, ENUM_TIMEFRAMES tf, datetime start_time, datetime stop_time, mql_array<MqlRates> &rates);
int PositionsTotal();
ulong PositionGetTicket(int index);
bool PositionSelectByTicket(ulong ticket);
bool PositionSelect(const string &symbol);
long PositionGetInteger(ENUM_POSITION_PROPERTY_INTEGER prop);
double PositionGetDouble(ENUM_POSITION_PROPERTY_DOUBLE prop);
string PositionGetString(ENUM_POSITION_PROPERTY_STRING prop);
int OrdersTotal();
ulong OrderGetTicket(int index);
bool OrderSelect(ulong ticket);
long OrderGetInteger(ENUM_ORDER_PROPERTY_INTEGER prop);
double OrderGetDouble(ENUM_ORDER_PROPERTY_DOUBLE prop);
string OrderGetString(ENUM_ORDER_PROPERTY_STRING prop);
bool HistorySelect(datetime from, datetime to);
bool HistorySelectByPosition(long position_id);
bool HistoryDealSelect(ulong ticket);
int HistoryDealsTotal();
ulong HistoryDealGetTicket(int index);
long HistoryDealGetInteger(ulong ticket, ENUM_DEAL_PROPERTY_INTEGER prop);
double HistoryDealGetDouble(ulong ticket, ENUM_DEAL_PROPERTY_DOUBLE prop);
string HistoryDealGetString(ulong ticket, ENUM_DEAL_PROPERTY_STRING prop);
bool OrderSend(const MqlTradeRequest &request, MqlTradeResult &result);
bool MarketBookAdd(const string &symbol);
bool MarketBookRelease(const string &symbol);
bool OrderCheck(const MqlTradeRequest &request, MqlTradeResult &result);

// ------------------------------------------------------------------------------------------ inputs
// `input T Name = v;` becomes `const T Name = mqlrt_input<T>("Name", v);` — a test overrides it with the
// environment variable MQL_INPUT_Name.
bool mqlrt_input_text(const char *name, string &out);
template <typename T> T mqlrt_input(const char *name, T def)
  {
   string s;
   if(!mqlrt_input_text(name, s))
      return def;
   return (T)StringToInteger(s);
  }
template <> inline double mqlrt_input<double>(const char *name, double def)
  {
   string s;
   return mqlrt_input_text(name, s) ? StringToDouble(s) : def;
  }
template <> inline bool mqlrt_input<bool>(const char *name, bool def)
  {
   string s;
   if(!mqlrt_input_text(name, s))
      return def;
   return s == string(u"true") || s == string(u"1");
  }
template <> inline string mqlrt_input<string>(const char *name, string def)
  {
   string s;
   return mqlrt_input_text(name, s) ? s : def;
  }
// An input's storage: read-only to the program (it sees `const T &Name`), reloaded by the runtime when the
// trader changes the inputs — the terminal then calls OnDeinit(REASON_PARAMETERS) and OnInit again without
// unloading the program, so every other global keeps its value.
struct mqlrt_input_base
  {
   mqlrt_input_base *next;
   virtual void reload() = 0;
  };
void mqlrt_input_register(mqlrt_input_base *b);
template <typename T> struct mqlrt_input_cell : mqlrt_input_base
  {
   const char *name;
   T def;
   T value;
   mqlrt_input_cell(const char *n, T d) : name(n), def(d), value(mqlrt_input<T>(n, d)) { mqlrt_input_register(this); }
   void reload() override { value = mqlrt_input<T>(name, def); }
  };
template <typename T> const T &mqlrt_input_ref(const char *name, T def) { return (new mqlrt_input_cell<T>(name, def))->value; }

// ------------------------------------------------------------------------------------------ event loop
struct mqlrt_handlers
  {
   int (*OnInit)();
   void (*OnDeinit)(const int);
   void (*OnTick)();
   void (*OnTimer)();
   void (*OnTrade)();
   void (*OnTradeTransaction)(const MqlTradeTransaction &, const MqlTradeRequest &, const MqlTradeResult &);
   void (*OnStart)();
   void (*OnBookEvent)(const string &);
  };
int mqlrt_main(int argc, char **argv, const mqlrt_handlers &h);

#endif
