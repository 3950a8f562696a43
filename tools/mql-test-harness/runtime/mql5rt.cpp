// mql5rt.cpp - implementation of the MQL5 runtime for the mql-test-harness.
// Terminal functions are answered by the simulated terminal the test drives over a JSON-lines channel:
// the EA process writes requests and notifications to stdout and reads replies and events from stdin.
#include <arpa/inet.h>
#include <cerrno>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <ctime>
#include <deque>
#include <fcntl.h>
#include <map>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <string>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <unistd.h>
#include <sys/stat.h>
#include <unordered_map>
#include <vector>

// <cstdio> defines these as macros; MQL5 has them as ENUM_FILE_POSITION constants (same values)
#undef SEEK_SET
#undef SEEK_CUR
#undef SEEK_END
#include "mql5rt.h"

// ============================================================================================ failures
void mqlrt_fatal(const char *what, const char *file, int line)
  {
   std::fprintf(stderr, "mqlrt: critical error: %s at %s:%d\n", what, file, line);
   std::fflush(stderr);
   std::abort();
  }
void mqlrt_array_out_of_range(int index, int size, const char *file, int line)
  {
   char buf[128];
   std::snprintf(buf, sizeof buf, "array out of range (index %d, size %d)", index, size);
   mqlrt_fatal(buf, file, line);
  }

// ============================================================================================ UTF-8 / UTF-16
static std::u16string utf8_to_16(const std::string &s)
  {
   std::u16string out;
   size_t i = 0;
   while(i < s.size())
     {
      unsigned char c = (unsigned char)s[i];
      uint32_t cp;
      int extra;
      if(c < 0x80) { cp = c; extra = 0; }
      else if((c >> 5) == 6) { cp = c & 0x1F; extra = 1; }
      else if((c >> 4) == 14) { cp = c & 0x0F; extra = 2; }
      else if((c >> 3) == 30) { cp = c & 0x07; extra = 3; }
      else { out.push_back(0xFFFD); i++; continue; }
      bool ok = true;
      for(int k = 1; k <= extra; k++)
        {
         if(i + k >= s.size() || ((unsigned char)s[i + k] >> 6) != 2) { ok = false; break; }
         cp = (cp << 6) | ((unsigned char)s[i + k] & 0x3F);
        }
      if(!ok) { out.push_back(0xFFFD); i++; continue; }
      i += extra + 1;
      if(cp >= 0x10000)
        {
         cp -= 0x10000;
         out.push_back((char16_t)(0xD800 + (cp >> 10)));
         out.push_back((char16_t)(0xDC00 + (cp & 0x3FF)));
        }
      else
         out.push_back((char16_t)cp);
     }
   return out;
  }

static std::string utf16_to_8(const char16_t *p, int n)
  {
   std::string out;
   for(int i = 0; i < n; i++)
     {
      uint32_t cp = p[i];
      if(cp >= 0xD800 && cp <= 0xDBFF && i + 1 < n && p[i + 1] >= 0xDC00 && p[i + 1] <= 0xDFFF)
        {
         cp = 0x10000 + ((cp - 0xD800) << 10) + (p[i + 1] - 0xDC00);
         i++;
        }
      if(cp < 0x80) out.push_back((char)cp);
      else if(cp < 0x800) { out.push_back((char)(0xC0 | (cp >> 6))); out.push_back((char)(0x80 | (cp & 0x3F))); }
      else if(cp < 0x10000)
        {
         out.push_back((char)(0xE0 | (cp >> 12)));
         out.push_back((char)(0x80 | ((cp >> 6) & 0x3F)));
         out.push_back((char)(0x80 | (cp & 0x3F)));
        }
      else
        {
         out.push_back((char)(0xF0 | (cp >> 18)));
         out.push_back((char)(0x80 | ((cp >> 12) & 0x3F)));
         out.push_back((char)(0x80 | ((cp >> 6) & 0x3F)));
         out.push_back((char)(0x80 | (cp & 0x3F)));
        }
     }
   return out;
  }

static std::string u8(const string &s) { return utf16_to_8(s.data(), s.len()); }
static string S(const std::string &utf8)
  {
   std::u16string w = utf8_to_16(utf8);
   return string::from16(w.data(), (int)w.size());
  }

// ============================================================================================ string
void string::init(const char16_t *s, int n)
  {
   n_ = n;
   cap_ = n;
   p_ = n > 0 ? new char16_t[n] : nullptr;
   if(n > 0)
      std::memcpy(p_, s, sizeof(char16_t) * n);
  }
string::string(const char16_t *lit) : p_(nullptr), n_(0), cap_(0)
  {
   int n = 0;
   if(lit)
      while(lit[n])
         n++;
   init(lit, n);
  }
string::string(const string &o) : p_(nullptr), n_(0), cap_(0) { init(o.p_, o.n_); }
string string::from16(const char16_t *s, int n)
  {
   string r;
   r.init(s, n);
   return r;
  }
string::~string() { delete[] p_; }
string &string::operator=(const string &o)
  {
   if(this != &o)
     {
      delete[] p_;
      init(o.p_, o.n_);
     }
   return *this;
  }
string &string::operator=(string &&o) noexcept
  {
   if(this != &o)
     {
      delete[] p_;
      p_ = o.p_; n_ = o.n_; cap_ = o.cap_;
      o.p_ = nullptr; o.n_ = 0; o.cap_ = 0;
     }
   return *this;
  }
void string::resize(int n)
  {
   if(n < 0) n = 0;
   if(n > cap_)
     {
      int c = n < 16 ? 16 : n + n / 2;
      char16_t *np = new char16_t[c];
      if(n_ > 0) std::memcpy(np, p_, sizeof(char16_t) * n_);
      delete[] p_;
      p_ = np;
      cap_ = c;
     }
   for(int i = n_; i < n; i++) p_[i] = 0;
   n_ = n;
  }
string &string::operator+=(const string &o)
  {
   int a = n_, b = o.n_;
   if(b == 0) return *this;
   if(this == &o)
     {
      string copy(o);
      return *this += copy;
     }
   resize(a + b);
   std::memcpy(p_ + a, o.p_, sizeof(char16_t) * b);
   return *this;
  }
string operator+(const string &a, const string &b)
  {
   string r(a);
   r += b;
   return r;
  }
bool operator==(const string &a, const string &b)
  {
   return a.n_ == b.n_ && (a.n_ == 0 || std::memcmp(a.p_, b.p_, sizeof(char16_t) * a.n_) == 0);
  }
bool operator<(const string &a, const string &b)
  {
   int n = a.n_ < b.n_ ? a.n_ : b.n_;
   for(int i = 0; i < n; i++)
      if(a.p_[i] != b.p_[i]) return a.p_[i] < b.p_[i];
   return a.n_ < b.n_;
  }
static std::string fmt_double(double v)
  {
   // MQL5 prints doubles with up to 16 significant digits, no trailing zeros
   char buf[64];
   std::snprintf(buf, sizeof buf, "%.16g", v);
   return buf;
  }
string::string(int v) : p_(nullptr), n_(0), cap_(0) { *this = S(std::to_string(v)); }
string::string(uint v) : p_(nullptr), n_(0), cap_(0) { *this = S(std::to_string(v)); }
string::string(long v) : p_(nullptr), n_(0), cap_(0) { *this = S(std::to_string(v)); }
string::string(ulong v) : p_(nullptr), n_(0), cap_(0) { *this = S(std::to_string(v)); }
string::string(double v) : p_(nullptr), n_(0), cap_(0) { *this = S(fmt_double(v)); }
string::string(bool v) : p_(nullptr), n_(0), cap_(0) { *this = S(v ? "true" : "false"); }

// ============================================================================================ globals
int _LastError = 0;
string _Symbol;
ENUM_TIMEFRAMES _Period = PERIOD_H1;
int _Digits = 5;
double _Point = 0.00001;
bool _StopFlag = false;
static bool g_remove = false;
int GetLastError() { return _LastError; }
void ResetLastError() { _LastError = 0; }
void SetUserError(ushort code) { _LastError = 65536 + code; }
bool IsStopped() { return _StopFlag; }
void ExpertRemove() { g_remove = true; }

// ============================================================================================ conversions
string IntegerToString(long v, int len, ushort fill)
  {
   std::string s = std::to_string(v);
   std::u16string w = utf8_to_16(s);
   while((int)w.size() < len) w.insert(w.begin(), (char16_t)fill);
   return string::from16(w.data(), (int)w.size());
  }
string DoubleToString(double v, int digits)
  {
   if(digits < 0 || digits > 16) digits = 8;
   char buf[512];
   std::snprintf(buf, sizeof buf, "%.*f", digits, v);
   return S(buf);
  }
long StringToInteger(const string &s) { return std::strtol(u8(s).c_str(), nullptr, 10); }
double StringToDouble(const string &s) { return std::strtod(u8(s).c_str(), nullptr); }
string TimeToString(datetime t, int)
  {
   time_t tt = (time_t)t;
   struct tm tmv;
   gmtime_r(&tt, &tmv);
   char buf[64];
   std::strftime(buf, sizeof buf, "%Y.%m.%d %H:%M:%S", &tmv);
   return S(buf);
  }
double NormalizeDouble(double v, int digits)
  {
   double p = std::pow(10.0, digits);
   return std::round(v * p) / p;
  }
string CharToString(uchar c) { char16_t w = c; return string::from16(&w, 1); }
string ShortToString(ushort c) { char16_t w = c; return string::from16(&w, 1); }

// ============================================================================================ strings
int StringLen(const string &s) { return s.len(); }
string StringSubstr(const string &s, int start, int length)
  {
   if(start < 0) start = 0;
   if(start >= s.len()) return string();
   int n = s.len() - start;
   if(length >= 0 && length < n) n = length;
   return string::from16(s.data() + start, n);
  }
int StringFind(const string &s, const string &what, int start)
  {
   if(start < 0) start = 0;
   int n = s.len(), m = what.len();
   if(m == 0) return -1;
   for(int i = start; i + m <= n; i++)
      if(std::memcmp(s.data() + i, what.data(), sizeof(char16_t) * m) == 0) return i;
   return -1;
  }
bool StringToLower(string &s)
  {
   for(int i = 0; i < s.len(); i++)
      if(s.at(i) >= 'A' && s.at(i) <= 'Z') s.set(i, (char16_t)(s.at(i) + 32));
   return true;
  }
bool StringToUpper(string &s)
  {
   for(int i = 0; i < s.len(); i++)
      if(s.at(i) >= 'a' && s.at(i) <= 'z') s.set(i, (char16_t)(s.at(i) - 32));
   return true;
  }
static bool is_space16(char16_t c) { return c == ' ' || c == '\t' || c == '\r' || c == '\n'; }
int StringTrimLeft(string &s)
  {
   int k = 0;
   while(k < s.len() && is_space16(s.at(k))) k++;
   if(k > 0) s = StringSubstr(s, k);
   return k;
  }
int StringTrimRight(string &s)
  {
   int n = s.len();
   while(n > 0 && is_space16(s.at(n - 1))) n--;
   int removed = s.len() - n;
   if(removed > 0) s = StringSubstr(s, 0, n);
   return removed;
  }
int StringReplace(string &s, const string &find, const string &repl)
  {
   if(find.len() == 0) return -1;
   string out;
   int count = 0, i = 0;
   while(true)
     {
      int at = StringFind(s, find, i);
      if(at < 0) break;
      out += StringSubstr(s, i, at - i);
      out += repl;
      i = at + find.len();
      count++;
     }
   out += StringSubstr(s, i);
   s = out;
   return count;
  }
ushort StringGetCharacter(const string &s, int pos) { return s.at(pos); }
bool StringSetCharacter(string &s, int pos, ushort c)
  {
   if(pos < 0 || pos > s.len()) return false;
   if(pos == s.len()) s.resize(pos + 1);
   s.set(pos, (char16_t)c);
   return true;
  }
int StringCompare(const string &a, const string &b, bool cs)
  {
   string x = a, y = b;
   if(!cs) { StringToLower(x); StringToLower(y); }
   if(x == y) return 0;
   return x < y ? -1 : 1;
  }
bool StringAdd(string &s, const string &add) { s += add; return true; }
int StringSplit(const string &s, ushort sep, mql_array<string> &out)
  {
   ArrayResize(out, 0);
   int start = 0, n = 0;
   for(int i = 0; i <= s.len(); i++)
      if(i == s.len() || s.at(i) == sep)
        {
         ArrayResize(out, n + 1);
         out[n] = StringSubstr(s, start, i - start);
         n++;
         start = i + 1;
        }
   return n;
  }
// As MQL5: `count` characters of the string (-1: all, plus the terminating 0, which is copied too).
int StringToCharArray(const string &s, mql_array<uchar> &out, int start, int count, uint codepage)
  {
   int n = s.len();
   bool withNul = false;
   if(count < 0 || count > n)
     {
      withNul = count < 0 || count > n;
      count = n;
     }
   std::string bytes;
   if(codepage == CP_UTF8)
      bytes = utf16_to_8(s.data(), count);
   else
      for(int i = 0; i < count; i++) bytes.push_back((char)(s.data()[i] < 256 ? s.data()[i] : '?'));
   if(withNul) bytes.push_back('\0');
   int need = start + (int)bytes.size();
   if(out.size() < need)
     {
      if(out.fixed()) mqlrt_fatal("StringToCharArray: fixed array too small", "runtime", 0);
      out.resize(need, 0);
     }
   for(size_t i = 0; i < bytes.size(); i++) out[start + (int)i] = (uchar)bytes[i];
   return (int)bytes.size();
  }
string CharArrayToString(const mql_array<uchar> &a, int start, int count, uint codepage)
  {
   if(start < 0 || start >= a.size()) return string();
   int end = a.size();
   if(count >= 0 && start + count < end) end = start + count;
   std::string bytes;
   for(int i = start; i < end; i++)
     {
      if(a[i] == 0) break;
      bytes.push_back((char)a[i]);
     }
   if(codepage == CP_UTF8) return S(bytes);
   std::u16string w;
   for(char c : bytes) w.push_back((unsigned char)c);
   return string::from16(w.data(), (int)w.size());
  }

// ============================================================================================ formatting
const string &mqlrt_arg::mqlrt_true() { static string t(u"true"); return t; }
const string &mqlrt_arg::mqlrt_false() { static string f(u"false"); return f; }
static std::string arg_text(const mqlrt_arg &a)
  {
   switch(a.kind)
     {
      case 0: return std::to_string(a.l);
      case 1: return std::to_string(a.u);
      case 2: return fmt_double(a.d);
      default: return u8(*a.s);
     }
  }
string mqlrt_concat(const mqlrt_arg *args, int n)
  {
   std::string out;
   for(int i = 0; i < n; i++) out += arg_text(args[i]);
   return S(out);
  }
string mqlrt_format(const string &fmtS, const mqlrt_arg *args, int n)
  {
   std::string fmt = u8(fmtS), out;
   int ai = 0;
   for(size_t i = 0; i < fmt.size(); i++)
     {
      if(fmt[i] != '%') { out.push_back(fmt[i]); continue; }
      if(i + 1 < fmt.size() && fmt[i + 1] == '%') { out.push_back('%'); i++; continue; }
      size_t j = i + 1;
      while(j < fmt.size() && std::strchr("-+ #0123456789.", fmt[j])) j++;
      while(j < fmt.size() && std::strchr("hlIL", fmt[j])) j++;
      if(j >= fmt.size()) break;
      char conv = fmt[j];
      std::string spec = fmt.substr(i, j - i);
      // drop length modifiers: the argument kind decides
      std::string flags;
      for(char c : spec) if(!std::strchr("hlIL", c)) flags.push_back(c);
      if(ai >= n) mqlrt_fatal("StringFormat: fewer arguments than conversions", "runtime", 0);
      const mqlrt_arg &a = args[ai++];
      char buf[512];
      if(std::strchr("dixXuoc", conv))
        {
         if(a.kind == 2 || a.kind == 3) mqlrt_fatal("StringFormat: integer conversion given a non-integer", "runtime", 0);
         std::string f = flags + "ll" + conv;
         if(a.kind == 1) std::snprintf(buf, sizeof buf, f.c_str(), (unsigned long long)a.u);
         else std::snprintf(buf, sizeof buf, f.c_str(), (long long)a.l);
        }
      else if(std::strchr("feEgG", conv))
        {
         double d = a.kind == 2 ? a.d : a.kind == 1 ? (double)a.u : (double)a.l;
         if(a.kind == 3) mqlrt_fatal("StringFormat: float conversion given a string", "runtime", 0);
         std::string f = flags + conv;
         std::snprintf(buf, sizeof buf, f.c_str(), d);
        }
      else if(conv == 's')
        {
         std::string f = flags + "s";
         std::snprintf(buf, sizeof buf, f.c_str(), arg_text(a).c_str());
        }
      else
         mqlrt_fatal("StringFormat: unsupported conversion", "runtime", 0);
      out += buf;
      i = j;
     }
   return S(out);
  }

// ============================================================================================ math
static unsigned int g_rand = 1;
int MathRand()
  {
   g_rand = g_rand * 214013u + 2531011u;
   return (int)((g_rand >> 16) & 0x7FFF);
  }
void MathSrand(int seed) { g_rand = (unsigned int)seed; }
double MathAbs(double v) { return std::fabs(v); }
double MathPow(double a, double b) { return std::pow(a, b); }
double MathSqrt(double v) { return std::sqrt(v); }
double MathFloor(double v) { return std::floor(v); }
double MathCeil(double v) { return std::ceil(v); }
double MathRound(double v) { return std::round(v); }
double MathLog(double v) { return std::log(v); }
double MathExp(double v) { return std::exp(v); }
double MathMod(double a, double b) { return std::fmod(a, b); }
bool MathIsValidNumber(double v) { return std::isfinite(v); }

// ============================================================================================ clock
static const auto g_t0 = std::chrono::steady_clock::now();
static ulong now_us() { return (ulong)std::chrono::duration_cast<std::chrono::microseconds>(std::chrono::steady_clock::now() - g_t0).count(); }
uint GetTickCount() { return (uint)(now_us() / 1000); }
ulong GetTickCount64() { return now_us() / 1000; }
ulong GetMicrosecondCount() { return now_us(); }
// Windows' default timer makes Sleep(1) last ~15.6 ms: MQLRT_SLEEP_GRANULARITY_MS=16 rounds every Sleep up to
// a multiple of it (0 or unset: as asked)
static long g_sleepGranularityMs = -1;
static ulong g_sleptUs = 0; // time in Sleep so far (the handler clock takes the part of each handler)
void Sleep(int ms)
  {
   if(g_sleepGranularityMs < 0)
     {
      const char *g = std::getenv("MQLRT_SLEEP_GRANULARITY_MS");
      g_sleepGranularityMs = g ? std::atol(g) : 0;
     }
   if(ms <= 0) return;
   ulong t0 = now_us();
   long d = ms;
   if(g_sleepGranularityMs > 0) d = ((d + g_sleepGranularityMs - 1) / g_sleepGranularityMs) * g_sleepGranularityMs;
   usleep((useconds_t)d * 1000);
   g_sleptUs += now_us() - t0;
  }

// ============================================================================================ SHA-1, base64
static void sha1(const std::vector<uint8_t> &msg, uint8_t out[20])
  {
   uint32_t h[5] = {0x67452301, 0xEFCDAB89, 0x98BADCFE, 0x10325476, 0xC3D2E1F0};
   std::vector<uint8_t> m(msg);
   uint64_t bits = (uint64_t)msg.size() * 8;
   m.push_back(0x80);
   while(m.size() % 64 != 56) m.push_back(0);
   for(int i = 7; i >= 0; i--) m.push_back((uint8_t)(bits >> (8 * i)));
   auto rol = [](uint32_t x, int c) { return (x << c) | (x >> (32 - c)); };
   for(size_t off = 0; off < m.size(); off += 64)
     {
      uint32_t w[80];
      for(int i = 0; i < 16; i++)
         w[i] = (uint32_t)m[off + 4 * i] << 24 | (uint32_t)m[off + 4 * i + 1] << 16 | (uint32_t)m[off + 4 * i + 2] << 8 | m[off + 4 * i + 3];
      for(int i = 16; i < 80; i++) w[i] = rol(w[i - 3] ^ w[i - 8] ^ w[i - 14] ^ w[i - 16], 1);
      uint32_t a = h[0], b = h[1], c = h[2], d = h[3], e = h[4];
      for(int i = 0; i < 80; i++)
        {
         uint32_t f, k;
         if(i < 20) { f = (b & c) | (~b & d); k = 0x5A827999; }
         else if(i < 40) { f = b ^ c ^ d; k = 0x6ED9EBA1; }
         else if(i < 60) { f = (b & c) | (b & d) | (c & d); k = 0x8F1BBCDC; }
         else { f = b ^ c ^ d; k = 0xCA62C1D6; }
         uint32_t t = rol(a, 5) + f + e + k + w[i];
         e = d; d = c; c = rol(b, 30); b = a; a = t;
        }
      h[0] += a; h[1] += b; h[2] += c; h[3] += d; h[4] += e;
     }
   for(int i = 0; i < 5; i++)
      for(int k = 0; k < 4; k++) out[4 * i + k] = (uint8_t)(h[i] >> (24 - 8 * k));
  }
static std::string base64(const std::vector<uint8_t> &in)
  {
   static const char *t = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
   std::string out;
   size_t i = 0;
   for(; i + 2 < in.size(); i += 3)
     {
      uint32_t v = (uint32_t)in[i] << 16 | (uint32_t)in[i + 1] << 8 | in[i + 2];
      out += t[v >> 18]; out += t[(v >> 12) & 63]; out += t[(v >> 6) & 63]; out += t[v & 63];
     }
   if(i + 1 == in.size())
     {
      uint32_t v = (uint32_t)in[i] << 16;
      out += t[v >> 18]; out += t[(v >> 12) & 63]; out += "==";
     }
   else if(i + 2 == in.size())
     {
      uint32_t v = (uint32_t)in[i] << 16 | (uint32_t)in[i + 1] << 8;
      out += t[v >> 18]; out += t[(v >> 12) & 63]; out += t[(v >> 6) & 63]; out += '=';
     }
   return out;
  }
int CryptEncode(ENUM_CRYPT_METHOD method, const mql_array<uchar> &data, const mql_array<uchar> &, mql_array<uchar> &result)
  {
   std::vector<uint8_t> in;
   for(int i = 0; i < data.size(); i++) in.push_back(data[i]);
   std::vector<uint8_t> out;
   if(method == CRYPT_HASH_SHA1)
     {
      uint8_t h[20];
      sha1(in, h);
      out.assign(h, h + 20);
     }
   else if(method == CRYPT_BASE64)
     {
      std::string b = base64(in);
      out.assign(b.begin(), b.end());
     }
   else
     {
      _LastError = 4003;
      return 0;
     }
   if(result.fixed() && result.size() < (int)out.size()) return 0;
   if(!result.fixed()) result.resize((int)out.size(), 0);
   for(size_t i = 0; i < out.size(); i++) result[(int)i] = out[i];
   return (int)out.size();
  }

// ============================================================================================ sockets
static std::vector<int> g_socks; // handle -> fd (-1 free)
static std::map<int, ulong> g_sendTimeoutUs; // handle -> SocketTimeouts' send timeout (a deadline for one SocketSend)
static int sock_fd(int h)
  {
   if(h < 0 || h >= (int)g_socks.size() || g_socks[h] < 0) { _LastError = ERR_NETSOCKET_INVALIDHANDLE; return -1; }
   return g_socks[h];
  }
int SocketCreate(uint)
  {
   int open = 0;
   for(int fd : g_socks) if(fd >= 0) open++;
   if(open >= 128) { _LastError = ERR_NETSOCKET_TOO_MANY_OPENED; return INVALID_HANDLE; }
   int fd = ::socket(AF_INET, SOCK_STREAM, 0);
   if(fd < 0) { _LastError = ERR_NETSOCKET_INVALIDHANDLE; return INVALID_HANDLE; }
   for(size_t i = 0; i < g_socks.size(); i++)
      if(g_socks[i] < 0) { g_socks[i] = fd; return (int)i; }
   g_socks.push_back(fd);
   return (int)g_socks.size() - 1;
  }
bool SocketClose(int h)
  {
   int fd = sock_fd(h);
   if(fd < 0) return false;
   ::close(fd);
   g_socks[h] = -1;
   g_sendTimeoutUs.erase(h);
   return true;
  }
// the longest single SocketConnect/SocketSend: how long one call held the program's thread
static ulong g_maxSocketUs = 0;
static std::string g_maxSocketCall;
struct socket_clock
  {
   const char *name;
   ulong t0;
   explicit socket_clock(const char *n) : name(n), t0(now_us()) {}
   ~socket_clock() { ulong d = now_us() - t0; if(d > g_maxSocketUs) { g_maxSocketUs = d; g_maxSocketCall = name; } }
  };
bool SocketConnect(int h, const string &server, uint port, uint timeout_ms)
  {
   socket_clock clock("SocketConnect");
   int fd = sock_fd(h);
   if(fd < 0) return false;
   std::string host = u8(server);
   if(host == "localhost") host = "127.0.0.1";
   sockaddr_in addr{};
   addr.sin_family = AF_INET;
   addr.sin_port = htons((uint16_t)port);
   if(inet_pton(AF_INET, host.c_str(), &addr.sin_addr) != 1) { _LastError = ERR_NETSOCKET_CANNOT_CONNECT; return false; }
   int flags = fcntl(fd, F_GETFL, 0);
   fcntl(fd, F_SETFL, flags | O_NONBLOCK);
   int r = ::connect(fd, (sockaddr *)&addr, sizeof addr);
   if(r < 0 && errno == EINPROGRESS)
     {
      pollfd p{fd, POLLOUT, 0};
      if(::poll(&p, 1, (int)timeout_ms) <= 0) { _LastError = ERR_NETSOCKET_CANNOT_CONNECT; return false; }
      int err = 0;
      socklen_t len = sizeof err;
      getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &len);
      r = err == 0 ? 0 : -1;
     }
   fcntl(fd, F_SETFL, flags);
   if(r != 0) { _LastError = ERR_NETSOCKET_CANNOT_CONNECT; return false; }
   int one = 1;
   setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
   return true;
  }
bool SocketIsConnected(int h)
  {
   int fd = sock_fd(h);
   if(fd < 0) return false;
   char c;
   ssize_t r = ::recv(fd, &c, 1, MSG_PEEK | MSG_DONTWAIT);
   if(r == 0) return false;
   if(r < 0 && errno != EAGAIN && errno != EWOULDBLOCK) return false;
   return true;
  }
// MQLRT_SPECULATIVE_READABLE=1: as the terminal may, answer 1 when nothing is buffered on an open socket (a
// program must not take a non-zero answer as "a message is here")
static int g_speculative = -1;
uint SocketIsReadable(int h)
  {
   int fd = sock_fd(h);
   if(fd < 0) return 0;
   int n = 0;
   if(ioctl(fd, FIONREAD, &n) < 0) return 0;
   if(n > 0) return (uint)n;
   if(g_speculative < 0) { const char *v = std::getenv("MQLRT_SPECULATIVE_READABLE"); g_speculative = v && *v == '1' ? 1 : 0; }
   if(g_speculative == 1)
     {
      char c;
      ssize_t r = ::recv(fd, &c, 1, MSG_PEEK | MSG_DONTWAIT);
      if(r < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) return 1;
     }
   return 0;
  }
bool SocketIsWritable(int h) { return sock_fd(h) >= 0; }
int SocketSend(int h, const mql_array<uchar> &buf, uint len)
  {
   socket_clock clock("SocketSend");
   int fd = sock_fd(h);
   if(fd < 0) return -1;
   if((int)len > buf.size()) len = (uint)buf.size();
   std::vector<uint8_t> tmp(len);
   for(uint i = 0; i < len; i++) tmp[i] = buf[(int)i];
   size_t sent = 0;
   ulong t0 = now_us();
   ulong limit = g_sendTimeoutUs.count(h) ? g_sendTimeoutUs[h] : 0;
   while(sent < len)
     {
      // a partial send that used up the send timeout returns what went out (the next call may wait again)
      if(sent > 0 && limit > 0 && now_us() - t0 >= limit) return (int)sent;
      ssize_t r = ::send(fd, tmp.data() + sent, len - sent, MSG_NOSIGNAL);
      if(r < 0 && errno == EINTR) continue;
      if(r < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
        {
         // SocketTimeouts' send timeout ran out (a peer that stopped reading): what went out so far, or an error
         if(sent > 0) return (int)sent;
         _LastError = ERR_NETSOCKET_IO_ERROR;
         return -1;
        }
      if(r < 0) { _LastError = ERR_NETSOCKET_IO_ERROR; return -1; }
      sent += (size_t)r;
     }
   return (int)sent;
  }
// Reads up to maxlen bytes, waiting at most timeout_ms (0 means 120 s, as in MQL5). The array is resized to
// the bytes read. Returns -1 on timeout or a broken connection (then ERR_NETSOCKET_IO_ERROR).
int SocketRead(int h, mql_array<uchar> &buf, uint maxlen, uint timeout_ms)
  {
   int fd = sock_fd(h);
   if(fd < 0) return -1;
   if(timeout_ms == 0) timeout_ms = 120000;
   pollfd p{fd, POLLIN, 0};
   int pr = ::poll(&p, 1, (int)timeout_ms);
   if(pr <= 0) { _LastError = ERR_NETSOCKET_IO_ERROR; return -1; }
   std::vector<uint8_t> tmp(maxlen > 0 ? maxlen : 1);
   ssize_t r = ::recv(fd, tmp.data(), tmp.size(), 0);
   if(r <= 0) { _LastError = ERR_NETSOCKET_IO_ERROR; return -1; }
   if(!buf.fixed()) buf.resize((int)r, 0);
   for(ssize_t i = 0; i < r && i < buf.size(); i++) buf[(int)i] = tmp[i];
   return (int)r;
  }
// real timeouts: SocketSend gives up after send_ms when the peer stops reading (0 = wait forever)
bool SocketTimeouts(int h, uint send_ms, uint recv_ms)
  {
   int fd = sock_fd(h);
   if(fd < 0) return false;
   timeval sv{(time_t)(send_ms / 1000), (suseconds_t)((send_ms % 1000) * 1000)};
   timeval rv{(time_t)(recv_ms / 1000), (suseconds_t)((recv_ms % 1000) * 1000)};
   setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &sv, sizeof sv);
   g_sendTimeoutUs[h] = (ulong)send_ms * 1000;
   setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &rv, sizeof rv);
   return true;
  }

// ============================================================================================ files
// The terminal's MQL5\\Files sandbox is the folder MQLRT_FILES_DIR (a test points two runs at the same one
// to see what survives a restart); without it, a fresh folder per process.
static std::string g_filesDir;
static std::string files_dir()
  {
   if(g_filesDir.empty())
     {
      const char *d = std::getenv("MQLRT_FILES_DIR");
      g_filesDir = d && *d ? d : "/tmp/mqlrt-files-" + std::to_string((long)getpid());
      ::mkdir(g_filesDir.c_str(), 0700);
     }
   return g_filesDir;
  }
static std::string file_path(const string &name, bool makeDirs)
  {
   std::string n = u8(name);
   for(char &c : n) if(c == '\\') c = '/';
   if(n.find("..") != std::string::npos || (!n.empty() && n[0] == '/')) return "";
   std::string full = files_dir() + "/" + n;
   if(makeDirs)
      for(size_t k = files_dir().size() + 1; k < full.size(); k++)
         if(full[k] == '/') ::mkdir(full.substr(0, k).c_str(), 0700);
   return full;
  }
static std::map<int, int> g_files; // handle -> fd
static int g_nextFile = 1;
static int file_fd(int h) { auto it = g_files.find(h); if(it == g_files.end()) { _LastError = 5008; return -1; } return it->second; }
int FileOpen(const string &name, int flags, short, uint)
  {
   bool w = (flags & FILE_WRITE) != 0, r = (flags & FILE_READ) != 0;
   if(!(flags & FILE_BIN)) mqlrt_fatal("FileOpen: the harness runtime implements FILE_BIN files only", "<runtime>", 0);
   std::string path = file_path(name, w);
   if(path.empty()) { _LastError = 5002; return INVALID_HANDLE; }
   int of = w ? (r ? O_RDWR | O_CREAT : O_WRONLY | O_CREAT | O_TRUNC) : O_RDONLY;
   int fd = ::open(path.c_str(), of, 0600);
   if(fd < 0) { _LastError = 5004; return INVALID_HANDLE; }
   int h = g_nextFile++;
   g_files[h] = fd;
   return h;
  }
void FileClose(int h) { int fd = file_fd(h); if(fd >= 0) { ::close(fd); g_files.erase(h); } }
void FileFlush(int h) { int fd = file_fd(h); if(fd >= 0) ::fsync(fd); }
bool FileSeek(int h, long off, ENUM_FILE_POSITION origin)
  {
   int fd = file_fd(h);
   return fd >= 0 && ::lseek(fd, off, origin == SEEK_SET ? 0 : origin == SEEK_CUR ? 1 : 2) >= 0;
  }
ulong FileSize(int h) { int fd = file_fd(h); struct stat st; return fd >= 0 && ::fstat(fd, &st) == 0 ? (ulong)st.st_size : 0; }
ulong FileTell(int h) { int fd = file_fd(h); off_t p = fd >= 0 ? ::lseek(fd, 0, 1) : -1; return p < 0 ? 0 : (ulong)p; }
bool FileIsEnding(int h) { return FileTell(h) >= FileSize(h); }
bool FileIsExist(const string &name, int) { std::string p = file_path(name, false); struct stat st; return !p.empty() && ::stat(p.c_str(), &st) == 0; }
bool FileDelete(const string &name, int) { std::string p = file_path(name, false); return !p.empty() && ::unlink(p.c_str()) == 0; }
bool FileMove(const string &src, int, const string &dst, int)
  {
   std::string a = file_path(src, false), b = file_path(dst, true);
   return !a.empty() && !b.empty() && ::rename(a.c_str(), b.c_str()) == 0;
  }
uint FileWriteArray(int h, const mql_array<uchar> &a, int start, int count)
  {
   int fd = file_fd(h);
   if(fd < 0 || start < 0 || start > a.size()) return 0;
   int n = a.size() - start;
   if(count >= 0 && count < n) n = count;
   std::vector<uint8_t> tmp((size_t)n);
   for(int k = 0; k < n; k++) tmp[(size_t)k] = a[start + k];
   size_t off = 0;
   while(off < tmp.size()) { ssize_t r = ::write(fd, tmp.data() + off, tmp.size() - off); if(r <= 0) break; off += (size_t)r; }
   return (uint)off;
  }
uint FileReadArray(int h, mql_array<uchar> &a, int start, int count)
  {
   int fd = file_fd(h);
   if(fd < 0 || start < 0) return 0;
   ulong left = FileSize(h) - FileTell(h);
   ulong n = count >= 0 ? (ulong)count : left;
   if(n > left) n = left;
   std::vector<uint8_t> tmp((size_t)n);
   ssize_t r = n > 0 ? ::read(fd, tmp.data(), (size_t)n) : 0;
   if(r <= 0) return 0;
   if(a.size() < start + (int)r) { if(a.fixed()) r = a.size() - start; else a.resize(start + (int)r, 0); }
   for(ssize_t k = 0; k < r; k++) a[start + (int)k] = tmp[(size_t)k];
   return (uint)r;
  }
uint FileWriteInteger(int h, int v, int size)
  {
   int fd = file_fd(h);
   if(fd < 0 || (size != 1 && size != 2 && size != 4)) return 0;
   uint8_t b[4];
   for(int k = 0; k < size; k++) b[k] = (uint8_t)(((unsigned)v >> (8 * k)) & 0xFF); // little-endian, as on Windows
   return ::write(fd, b, (size_t)size) == size ? (uint)size : 0;
  }
int FileReadInteger(int h, int size)
  {
   int fd = file_fd(h);
   if(fd < 0 || (size != 1 && size != 2 && size != 4)) return 0;
   uint8_t b[4] = {0, 0, 0, 0};
   if(::read(fd, b, (size_t)size) != size) { _LastError = 5027; return 0; }
   unsigned v = 0;
   for(int k = 0; k < size; k++) v |= (unsigned)b[k] << (8 * k);
   if(size == 4) return (int)v;
   if(size == 2) return (int)(short)v;
   return (int)(char)v;
  }

// ============================================================================================ JSON
struct J
  {
   enum T { NUL, BOOL, NUM, STR, ARR, OBJ } t = NUL;
   bool b = false;
   double n = 0;
   std::string s;
   std::vector<J> a;
   std::vector<std::pair<std::string, J>> o;
   const J &operator[](const char *k) const
     {
      static const J none;
      for(auto &kv : o) if(kv.first == k) return kv.second;
      return none;
     }
   bool has(const char *k) const { for(auto &kv : o) if(kv.first == k) return true; return false; }
   double num() const { return t == NUM ? n : t == BOOL ? (b ? 1 : 0) : t == STR ? std::strtod(s.c_str(), nullptr) : 0; }
   long lng() const { return t == STR ? std::strtoll(s.c_str(), nullptr, 10) : (long)num(); }
   ulong ul() const { return t == STR ? std::strtoull(s.c_str(), nullptr, 10) : (ulong)num(); }
   std::string str() const { return t == STR ? s : std::string(); }
   bool truthy() const { return t == BOOL ? b : num() != 0; }
  };
struct JP
  {
   const std::string &s;
   size_t i = 0;
   explicit JP(const std::string &x) : s(x) {}
   void ws() { while(i < s.size() && std::strchr(" \t\r\n", s[i])) i++; }
   J parse()
     {
      ws();
      J v;
      if(i >= s.size()) return v;
      char c = s[i];
      if(c == '{')
        {
         v.t = J::OBJ; i++; ws();
         if(s[i] == '}') { i++; return v; }
         while(i < s.size())
           {
            ws();
            J k = parse();
            ws(); i++; // ':'
            J val = parse();
            v.o.emplace_back(k.s, std::move(val));
            ws();
            if(s[i] == ',') { i++; continue; }
            i++; break;
           }
         return v;
        }
      if(c == '[')
        {
         v.t = J::ARR; i++; ws();
         if(s[i] == ']') { i++; return v; }
         while(i < s.size())
           {
            v.a.push_back(parse());
            ws();
            if(s[i] == ',') { i++; continue; }
            i++; break;
           }
         return v;
        }
      if(c == '"')
        {
         v.t = J::STR; i++;
         while(i < s.size() && s[i] != '"')
           {
            if(s[i] == '\\')
              {
               i++;
               char e = s[i++];
               if(e == 'n') v.s += '\n';
               else if(e == 't') v.s += '\t';
               else if(e == 'r') v.s += '\r';
               else if(e == 'b') v.s += '\b';
               else if(e == 'f') v.s += '\f';
               else if(e == 'u')
                 {
                  unsigned cp = (unsigned)std::strtoul(s.substr(i, 4).c_str(), nullptr, 16);
                  i += 4;
                  if(cp >= 0xD800 && cp <= 0xDBFF && s.compare(i, 2, "\\u") == 0)
                    {
                     unsigned lo = (unsigned)std::strtoul(s.substr(i + 2, 4).c_str(), nullptr, 16);
                     i += 6;
                     cp = 0x10000 + ((cp - 0xD800) << 10) + (lo - 0xDC00);
                    }
                  char16_t w[2];
                  int wn = 0;
                  if(cp >= 0x10000) { w[0] = (char16_t)(0xD800 + ((cp - 0x10000) >> 10)); w[1] = (char16_t)(0xDC00 + ((cp - 0x10000) & 0x3FF)); wn = 2; }
                  else { w[0] = (char16_t)cp; wn = 1; }
                  v.s += utf16_to_8(w, wn);
                 }
               else v.s += e;
              }
            else v.s += s[i++];
           }
         i++;
         return v;
        }
      if(c == 't') { v.t = J::BOOL; v.b = true; i += 4; return v; }
      if(c == 'f') { v.t = J::BOOL; v.b = false; i += 5; return v; }
      if(c == 'n') { i += 4; return v; }
      v.t = J::NUM;
      char *end = nullptr;
      v.n = std::strtod(s.c_str() + i, &end);
      i = (size_t)(end - s.c_str());
      return v;
     }
  };
static std::string jstr(const std::string &s)
  {
   std::string o = "\"";
   for(unsigned char c : s)
     {
      if(c == '"') o += "\\\"";
      else if(c == '\\') o += "\\\\";
      else if(c == '\n') o += "\\n";
      else if(c == '\r') o += "\\r";
      else if(c == '\t') o += "\\t";
      else if(c < 0x20) { char b[8]; std::snprintf(b, sizeof b, "\\u%04x", c); o += b; }
      else o += (char)c;
     }
   return o + "\"";
  }
static std::string jnum(double v)
  {
   if(!std::isfinite(v)) return "null";
   char b[40];
   std::snprintf(b, sizeof b, "%.17g", v);
   return b;
  }
static std::string jtick(ulong v) { return "\"" + std::to_string(v) + "\""; }

// ============================================================================================ channel
static std::string g_inbuf;
static std::deque<J> g_events;
static bool g_eof = false;
// the terminal's event queue is finite: terminal events beyond MQLRT_EVENT_QUEUE (default 1024) are dropped
static size_t g_queueLimit = 0;
static unsigned long g_dropped = 0;
static void queue_event(J &&v)
  {
   if(g_queueLimit == 0) { const char *q = std::getenv("MQLRT_EVENT_QUEUE"); g_queueLimit = q ? (size_t)std::atol(q) : 1024; }
   // harness control lines (ping, stop, reinit, stats) are not terminal events and never dropped
   std::string e = v["e"].str();
   bool terminalEvent = e == "tick" || e == "book" || e == "tx";
   if(terminalEvent && g_events.size() >= g_queueLimit) { g_dropped++; return; }
   g_events.push_back(std::move(v));
  }
static void chan_write(const std::string &line)
  {
   std::string l = line + "\n";
   size_t off = 0;
   while(off < l.size())
     {
      ssize_t r = ::write(1, l.data() + off, l.size() - off);
      if(r < 0) { if(errno == EINTR) continue; std::_Exit(3); }
      off += (size_t)r;
     }
  }
// read available stdin; wait at most timeout_ms (-1 forever). Returns false on EOF.
static bool chan_fill(int timeout_ms)
  {
   pollfd p{0, POLLIN, 0};
   int r = ::poll(&p, 1, timeout_ms);
   if(r <= 0) return true;
   char buf[65536];
   ssize_t n = ::read(0, buf, sizeof buf);
   if(n <= 0) { g_eof = true; return false; }
   g_inbuf.append(buf, (size_t)n);
   return true;
  }
static bool chan_line(std::string &line)
  {
   size_t nl = g_inbuf.find('\n');
   if(nl == std::string::npos) return false;
   line = g_inbuf.substr(0, nl);
   g_inbuf.erase(0, nl + 1);
   return true;
  }
static void chan_events(int timeout_ms)
  {
   std::string line;
   bool any = false;
   while(chan_line(line)) { JP p(line); queue_event(p.parse()); any = true; }
   if(any || g_eof) return;
   chan_fill(timeout_ms);
   while(chan_line(line)) { JP p(line); queue_event(p.parse()); }
  }
static unsigned long g_rpcs = 0;
// A synchronous call to the simulated terminal. Events that arrive meanwhile are queued for later.
static ulong g_rpcUs = 0; // time spent waiting for the simulated terminal: not the program's own time
static J rpc_(const std::string &fn, const std::string &argsJson);
static J rpc(const std::string &fn, const std::string &argsJson)
  {
   ulong t0 = now_us();
   J v = rpc_(fn, argsJson);
   g_rpcUs += now_us() - t0;
   return v;
  }
static J rpc_(const std::string &fn, const std::string &argsJson)
  {
   g_rpcs++;
   chan_write("{\"c\":" + jstr(fn) + ",\"a\":" + argsJson + "}");
   std::string line;
   while(true)
     {
      while(chan_line(line))
        {
         JP p(line);
         J v = p.parse();
         if(v.has("r")) return v["r"];
         queue_event(std::move(v));
        }
      if(g_eof || !chan_fill(-1))
        {
         std::fprintf(stderr, "mqlrt: the simulated terminal went away during %s\n", fn.c_str());
         std::_Exit(3);
        }
     }
  }
void mqlrt_print(const string &s) { chan_write("{\"n\":\"print\",\"s\":" + jstr(u8(s)) + "}"); }
void mqlrt_alert(const string &s) { chan_write("{\"n\":\"alert\",\"s\":" + jstr(u8(s)) + "}"); }
void mqlrt_comment(const string &s) { chan_write("{\"n\":\"comment\",\"s\":" + jstr(u8(s)) + "}"); }

// ============================================================================================ inputs
static mqlrt_input_base *g_inputs = nullptr;
void mqlrt_input_register(mqlrt_input_base *b) { b->next = g_inputs; g_inputs = b; }
static void reload_inputs() { for(mqlrt_input_base *b = g_inputs; b; b = b->next) b->reload(); }
bool mqlrt_input_text(const char *name, string &out)
  {
   std::string key = std::string("MQL_INPUT_") + name;
   const char *v = std::getenv(key.c_str());
   if(!v) return false;
   out = S(v);
   return true;
  }

// ============================================================================================ terminal
// Caches hold the terminal's state for the current event; they are dropped at every event and after
// every OrderSend, as the terminal's own view changes.
static J g_account, g_terminal;
static bool g_haveAccount = false, g_haveTerminal = false;
static std::map<std::string, J> g_symbols;
static J g_positions, g_orders, g_history;
static bool g_havePositions = false, g_haveOrders = false;
static J g_selPos, g_selOrder;
static bool g_havePos = false, g_haveOrder = false;
static void drop_caches()
  {
   g_haveAccount = g_haveTerminal = g_havePositions = g_haveOrders = false;
   g_symbols.clear();
  }
static const J &account()
  {
   if(!g_haveAccount) { g_account = rpc("account", "{}"); g_haveAccount = true; }
   return g_account;
  }
static const J &terminal()
  {
   if(!g_haveTerminal) { g_terminal = rpc("terminal", "{}"); g_haveTerminal = true; }
   return g_terminal;
  }
static const J &symbol(const string &name)
  {
   std::string n = u8(name);
   auto it = g_symbols.find(n);
   if(it == g_symbols.end()) it = g_symbols.emplace(n, rpc("symbol", "{\"symbol\":" + jstr(n) + "}")).first;
   return it->second;
  }
long AccountInfoInteger(ENUM_ACCOUNT_INFO_INTEGER p)
  {
   const J &a = account();
   switch(p)
     {
      case ACCOUNT_LOGIN: return a["login"].lng();
      case ACCOUNT_TRADE_MODE: return a["tradeMode"].lng();
      case ACCOUNT_LEVERAGE: return a["leverage"].lng();
      case ACCOUNT_TRADE_ALLOWED: return 1;
      case ACCOUNT_TRADE_EXPERT: return 1;
      case ACCOUNT_MARGIN_MODE: return a["marginMode"].lng();
      case ACCOUNT_CURRENCY_DIGITS: return a["currencyDigits"].lng();
      default: return 0;
     }
  }
double AccountInfoDouble(ENUM_ACCOUNT_INFO_DOUBLE p)
  {
   const J &a = account();
   switch(p)
     {
      case ACCOUNT_BALANCE: return a["balance"].num();
      case ACCOUNT_CREDIT: return a["credit"].num();
      case ACCOUNT_PROFIT: return a["profit"].num();
      case ACCOUNT_EQUITY: return a["equity"].num();
      case ACCOUNT_MARGIN: return a["margin"].num();
      case ACCOUNT_MARGIN_FREE: return a["freeMargin"].num();
      case ACCOUNT_MARGIN_LEVEL: return a["marginLevel"].num();
      case ACCOUNT_MARGIN_SO_SO: return a["stopOutLevel"].num();
      default: return 0;
     }
  }
string AccountInfoString(ENUM_ACCOUNT_INFO_STRING p)
  {
   const J &a = account();
   switch(p)
     {
      case ACCOUNT_NAME: return S(a["name"].str());
      case ACCOUNT_SERVER: return S(a["server"].str());
      case ACCOUNT_CURRENCY: return S(a["currency"].str());
      case ACCOUNT_COMPANY: return S(a["company"].str());
      default: return string();
     }
  }
long TerminalInfoInteger(ENUM_TERMINAL_INFO_INTEGER p)
  {
   const J &t = terminal();
   switch(p)
     {
      case TERMINAL_BUILD: return t["build"].lng();
      case TERMINAL_CONNECTED: return 1;
      case TERMINAL_TRADE_ALLOWED: return t["tradeAllowed"].truthy() ? 1 : 0;
      default: return 0;
     }
  }
string TerminalInfoString(ENUM_TERMINAL_INFO_STRING p)
  {
   const J &t = terminal();
   switch(p)
     {
      case TERMINAL_NAME: return S(t["name"].str());
      case TERMINAL_COMPANY: return S(t["company"].str());
      case TERMINAL_DATA_PATH: return S(t["dataPath"].str());
      case TERMINAL_PATH: return S(t["dataPath"].str());
      default: return string();
     }
  }
long MQLInfoInteger(ENUM_MQL_INFO_INTEGER p)
  {
   if(p == MQL_TRADE_ALLOWED) return terminal()["tradeAllowed"].truthy() ? 1 : 0;
   return 0;
  }
datetime TimeCurrent() { return (datetime)(terminal()["timeMsc"].lng() / 1000); }
datetime TimeTradeServer() { return TimeCurrent(); }
datetime TimeGMT() { return TimeCurrent() - (datetime)terminal()["serverTimeOffset"].lng(); }
datetime TimeLocal() { return TimeGMT(); }
int TimeGMTOffset() { return 0; }
bool TimeToStruct(datetime t, MqlDateTime &s)
  {
   time_t tt = (time_t)t;
   struct tm v;
   gmtime_r(&tt, &v);
   s.year = v.tm_year + 1900; s.mon = v.tm_mon + 1; s.day = v.tm_mday; s.hour = v.tm_hour; s.min = v.tm_min;
   s.sec = v.tm_sec; s.day_of_week = v.tm_wday; s.day_of_year = v.tm_yday;
   return true;
  }
// Market Watch: the chart's symbol, what SymbolSelect added, and every symbol with a position or an order (the
// terminal keeps those). A symbol outside it has no current quote for SymbolInfoTick, as in the terminal.
static std::map<std::string, bool> g_marketWatch;
static const J &positions();
static const J &orders();
bool SymbolSelect(const string &name, bool select)
  {
   if(!symbol(name)["exists"].truthy()) { _LastError = 4301; return false; }
   g_marketWatch[u8(name)] = select;
   return true;
  }
static bool in_market_watch(const std::string &n)
  {
   if(n == u8(_Symbol)) return true;
   auto it = g_marketWatch.find(n);
   if(it != g_marketWatch.end() && it->second) return true;
   for(const J &p : positions().a) if(p["symbol"].str() == n) return true;
   for(const J &o : orders().a) if(o["symbol"].str() == n) return true;
   return false;
  }
long SymbolInfoInteger(const string &name, ENUM_SYMBOL_INFO_INTEGER p)
  {
   const J &s = symbol(name);
   if(!s["exists"].truthy()) { _LastError = 4301; return 0; }
   switch(p)
     {
      case SYMBOL_SELECT: return 1;
      case SYMBOL_DIGITS: return s["digits"].lng();
      case SYMBOL_SPREAD: return s["spread"].lng();
      case SYMBOL_TRADE_STOPS_LEVEL: return s["stopsLevel"].lng();
      case SYMBOL_TRADE_FREEZE_LEVEL: return s["freezeLevel"].lng();
      case SYMBOL_TRADE_MODE: return s["tradeMode"].lng();
      case SYMBOL_TRADE_EXEMODE: return s["executionMode"].lng();
      case SYMBOL_TRADE_CALC_MODE: return s["calcMode"].lng();
      case SYMBOL_FILLING_MODE: return s["fillingMode"].lng();
      // a spec without a swap mode (the simulator's presets before it had one) is in points, as the protocol reads it
      case SYMBOL_SWAP_MODE: return s.has("swapMode") ? s["swapMode"].lng() : 1;
      case SYMBOL_SWAP_ROLLOVER3DAYS: return s["swapRollover3Days"].lng();
      case SYMBOL_TIME: return s["timeMsc"].lng() / 1000;
      default: return 0;
     }
  }
double SymbolInfoDouble(const string &name, ENUM_SYMBOL_INFO_DOUBLE p)
  {
   const J &s = symbol(name);
   if(!s["exists"].truthy()) { _LastError = 4301; return 0; }
   switch(p)
     {
      case SYMBOL_BID: return s["bid"].num();
      case SYMBOL_ASK: return s["ask"].num();
      case SYMBOL_LAST: return 0;
      case SYMBOL_POINT: return s["point"].num();
      case SYMBOL_TRADE_TICK_VALUE: return s["tickValue"].num();
      case SYMBOL_TRADE_TICK_SIZE: return s["tickSize"].num();
      case SYMBOL_TRADE_CONTRACT_SIZE: return s["contractSize"].num();
      case SYMBOL_VOLUME_MIN: return s["volumeMin"].num();
      case SYMBOL_VOLUME_MAX: return s["volumeMax"].num();
      case SYMBOL_VOLUME_STEP: return s["volumeStep"].num();
      case SYMBOL_SWAP_LONG: return s["swapLong"].num();
      case SYMBOL_SWAP_SHORT: return s["swapShort"].num();
      default: return 0;
     }
  }
string SymbolInfoString(const string &name, ENUM_SYMBOL_INFO_STRING p)
  {
   const J &s = symbol(name);
   switch(p)
     {
      case SYMBOL_CURRENCY_BASE: return S(s["currencyBase"].str());
      case SYMBOL_CURRENCY_PROFIT: return S(s["currencyProfit"].str());
      case SYMBOL_CURRENCY_MARGIN: return S(s["currencyMargin"].str());
      case SYMBOL_DESCRIPTION: return S(s["description"].str());
      default: return string();
     }
  }
bool SymbolInfoTick(const string &name, MqlTick &t)
  {
   const J &s = symbol(name);
   if(!s["exists"].truthy() || !s.has("timeMsc")) return false;
   if(!in_market_watch(u8(name))) { _LastError = 4302; return false; } // ERR_MARKET_NOT_SELECTED
   t = MqlTick();
   t.time_msc = s["timeMsc"].lng();
   t.time = (datetime)(t.time_msc / 1000);
   t.bid = s["bid"].num();
   t.ask = s["ask"].num();
   t.flags = TICK_FLAG_BID | TICK_FLAG_ASK;
   return true;
  }
bool SymbolInfoSessionTrade(const string &name, ENUM_DAY_OF_WEEK day, uint index, datetime &from, datetime &to)
  {
   const J &s = symbol(name);
   uint k = 0;
   for(const J &sess : s["sessions"].a)
      if(sess.a.size() == 3 && sess.a[0].lng() == (long)day)
        {
         if(k == index) { from = (datetime)(sess.a[1].lng() * 60); to = (datetime)(sess.a[2].lng() * 60); return true; }
         k++;
        }
   return false;
  }
static int put_ticks(const J &r, mql_array<MqlTick> &ticks)
  {
   if(r.t != J::ARR) { _LastError = 4401; return -1; }
   ticks.resize((int)r.a.size(), 0);
   for(size_t i = 0; i < r.a.size(); i++)
     {
      const J &x = r.a[i];
      MqlTick &t = ticks[(int)i];
      t.time_msc = x.a[0].lng();
      t.time = (datetime)(t.time_msc / 1000);
      t.bid = x.a[1].num();
      t.ask = x.a[2].num();
      t.last = x.a[3].num();
      t.volume_real = x.a[4].num();
      t.volume = (ulong)t.volume_real;
      t.flags = (uint)x.a[5].lng();
     }
   return (int)r.a.size();
  }
int CopyTicksRange(const string &name, mql_array<MqlTick> &ticks, uint flags, ulong from, ulong to)
  {
   return put_ticks(rpc("ticks", "{\"symbol\":" + jstr(u8(name)) + ",\"from\":" + std::to_string(from) + ",\"to\":" + std::to_string(to) +
                               ",\"flags\":" + std::to_string((int)flags) + "}"), ticks);
  }
int CopyTicks(const string &name, mql_array<MqlTick> &ticks, uint flags, ulong from, uint count)
  {
   return put_ticks(rpc("ticks", "{\"symbol\":" + jstr(u8(name)) + ",\"from\":" + std::to_string(from) + ",\"count\":" + std::to_string(count) +
                               ",\"flags\":" + std::to_string((int)flags) + "}"), ticks);
  }
static int put_rates(const J &r, mql_array<MqlRates> &rates)
  {
   if(r.t != J::ARR) { _LastError = 4401; return -1; }
   rates.resize((int)r.a.size(), 0);
   for(size_t i = 0; i < r.a.size(); i++)
     {
      const J &x = r.a[i];
      MqlRates &b = rates[(int)i];
      b.time = (datetime)x.a[0].lng();
      b.open = x.a[1].num();
      b.high = x.a[2].num();
      b.low = x.a[3].num();
      b.close = x.a[4].num();
      b.tick_volume = x.a[5].lng();
      b.spread = (int)x.a[6].lng();
      b.real_volume = x.a[7].lng();
     }
   return (int)r.a.size();
  }
static std::string tfargs(const string &name, ENUM_TIMEFRAMES tf)
  {
   return "{\"symbol\":" + jstr(u8(name)) + ",\"period\":" + std::to_string((int)tf);
  }
int CopyRates(const string &name, ENUM_TIMEFRAMES tf, int start_pos, int count, mql_array<MqlRates> &rates)
  {
   return put_rates(rpc("rates", tfargs(name, tf) + ",\"pos\":" + std::to_string(start_pos) + ",\"count\":" + std::to_string(count) + "}"), rates);
  }
int CopyRates(const string &name, ENUM_TIMEFRAMES tf, datetime start, int count, mql_array<MqlRates> &rates)
  {
   return put_rates(rpc("rates", tfargs(name, tf) + ",\"start\":" + std::to_string(start) + ",\"count\":" + std::to_string(count) + "}"), rates);
  }
int CopyRates(const string &name, ENUM_TIMEFRAMES tf, datetime start, datetime stop, mql_array<MqlRates> &rates)
  {
   return put_rates(rpc("rates", tfargs(name, tf) + ",\"start\":" + std::to_string(start) + ",\"stop\":" + std::to_string(stop) + "}"), rates);
  }
static const J &positions()
  {
   if(!g_havePositions) { g_positions = rpc("positions", "{}"); g_havePositions = true; }
   return g_positions;
  }
static const J &orders()
  {
   if(!g_haveOrders) { g_orders = rpc("orders", "{}"); g_haveOrders = true; }
   return g_orders;
  }
int PositionsTotal() { return (int)positions().a.size(); }
ulong PositionGetTicket(int i)
  {
   const J &p = positions();
   if(i < 0 || i >= (int)p.a.size()) { _LastError = 4753; g_havePos = false; return 0; }
   g_selPos = p.a[(size_t)i];
   g_havePos = true;
   return g_selPos["ticket"].ul();
  }
bool PositionSelectByTicket(ulong ticket)
  {
   for(const J &p : positions().a)
      if(p["ticket"].ul() == ticket) { g_selPos = p; g_havePos = true; return true; }
   g_havePos = false;
   _LastError = 4753;
   return false;
  }
bool PositionSelect(const string &sym)
  {
   std::string s = u8(sym);
   for(const J &p : positions().a)
      if(p["symbol"].str() == s) { g_selPos = p; g_havePos = true; return true; }
   g_havePos = false;
   return false;
  }
long PositionGetInteger(ENUM_POSITION_PROPERTY_INTEGER p)
  {
   if(!g_havePos) { _LastError = 4753; return 0; }
   switch(p)
     {
      case POSITION_TICKET: return (long)g_selPos["ticket"].ul();
      case POSITION_IDENTIFIER: return (long)g_selPos["identifier"].ul();
      case POSITION_TIME: return g_selPos["time"].lng();
      case POSITION_TIME_MSC: return g_selPos["timeMsc"].lng();
      case POSITION_TYPE: return g_selPos["type"].lng();
      case POSITION_MAGIC: return g_selPos["magic"].lng();
      default: return 0;
     }
  }
double PositionGetDouble(ENUM_POSITION_PROPERTY_DOUBLE p)
  {
   if(!g_havePos) { _LastError = 4753; return 0; }
   switch(p)
     {
      case POSITION_VOLUME: return g_selPos["volume"].num();
      case POSITION_PRICE_OPEN: return g_selPos["priceOpen"].num();
      case POSITION_SL: return g_selPos["sl"].num();
      case POSITION_TP: return g_selPos["tp"].num();
      case POSITION_PRICE_CURRENT: return g_selPos["priceCurrent"].num();
      case POSITION_SWAP: return g_selPos["swap"].num();
      case POSITION_PROFIT: return g_selPos["profit"].num();
      default: return 0;
     }
  }
string PositionGetString(ENUM_POSITION_PROPERTY_STRING p)
  {
   if(!g_havePos) { _LastError = 4753; return string(); }
   if(p == POSITION_SYMBOL) return S(g_selPos["symbol"].str());
   if(p == POSITION_COMMENT) return S(g_selPos["comment"].str());
   return string();
  }
int OrdersTotal() { return (int)orders().a.size(); }
ulong OrderGetTicket(int i)
  {
   const J &o = orders();
   if(i < 0 || i >= (int)o.a.size()) { _LastError = 4754; g_haveOrder = false; return 0; }
   g_selOrder = o.a[(size_t)i];
   g_haveOrder = true;
   return g_selOrder["ticket"].ul();
  }
bool OrderSelect(ulong ticket)
  {
   for(const J &o : orders().a)
      if(o["ticket"].ul() == ticket) { g_selOrder = o; g_haveOrder = true; return true; }
   g_haveOrder = false;
   _LastError = 4754;
   return false;
  }
long OrderGetInteger(ENUM_ORDER_PROPERTY_INTEGER p)
  {
   if(!g_haveOrder) { _LastError = 4754; return 0; }
   switch(p)
     {
      case ORDER_TICKET: return (long)g_selOrder["ticket"].ul();
      case ORDER_TIME_SETUP: return g_selOrder["timeSetup"].lng();
      case ORDER_TYPE: return g_selOrder["type"].lng();
      case ORDER_TIME_EXPIRATION: return g_selOrder["expiration"].lng();
      case ORDER_MAGIC: return g_selOrder["magic"].lng();
      case ORDER_STATE: return ORDER_STATE_PLACED;
      case ORDER_TYPE_TIME: return g_selOrder["typeTime"].lng();
      case ORDER_TYPE_FILLING: return g_selOrder["typeFilling"].lng();
      default: return 0;
     }
  }
double OrderGetDouble(ENUM_ORDER_PROPERTY_DOUBLE p)
  {
   if(!g_haveOrder) { _LastError = 4754; return 0; }
   switch(p)
     {
      case ORDER_VOLUME_INITIAL:
      case ORDER_VOLUME_CURRENT: return g_selOrder["volume"].num();
      case ORDER_PRICE_OPEN: return g_selOrder["priceOpen"].num();
      case ORDER_SL: return g_selOrder["sl"].num();
      case ORDER_TP: return g_selOrder["tp"].num();
      case ORDER_PRICE_STOPLIMIT: return g_selOrder["stopLimit"].num();
      default: return 0;
     }
  }
string OrderGetString(ENUM_ORDER_PROPERTY_STRING p)
  {
   if(!g_haveOrder) { _LastError = 4754; return string(); }
   if(p == ORDER_SYMBOL) return S(g_selOrder["symbol"].str());
   if(p == ORDER_COMMENT) return S(g_selOrder["comment"].str());
   return string();
  }
// History: as in MQL5, each History*Select replaces the list of deals the program can read.
// ticket -> index in g_history (selections of tens of thousands of deals are read property by property)
static std::unordered_map<ulong, size_t> g_historyIndex;
static void index_history()
  {
   g_historyIndex.clear();
   for(size_t i = 0; i < g_history.a.size(); i++) g_historyIndex[g_history.a[i]["ticket"].ul()] = i;
  }
bool HistorySelect(datetime from, datetime to)
  {
   g_history = rpc("history", "{\"from\":" + std::to_string(from) + ",\"to\":" + std::to_string(to) + "}");
   index_history();
   return g_history.t == J::ARR;
  }
bool HistorySelectByPosition(long id)
  {
   g_history = rpc("history", "{\"position\":" + jtick((ulong)id) + "}");
   index_history();
   return g_history.t == J::ARR;
  }
bool HistoryDealSelect(ulong ticket)
  {
   g_history = rpc("history", "{\"deal\":" + jtick(ticket) + "}");
   index_history();
   return g_history.t == J::ARR && !g_history.a.empty();
  }
int HistoryDealsTotal() { return (int)g_history.a.size(); }
ulong HistoryDealGetTicket(int i)
  {
   if(i < 0 || i >= (int)g_history.a.size()) { _LastError = 4755; return 0; }
   return g_history.a[(size_t)i]["ticket"].ul();
  }
static const J *deal(ulong ticket)
  {
   auto it = g_historyIndex.find(ticket);
   if(it != g_historyIndex.end() && it->second < g_history.a.size()) return &g_history.a[it->second];
   _LastError = 4755;
   return nullptr;
  }
long HistoryDealGetInteger(ulong ticket, ENUM_DEAL_PROPERTY_INTEGER p)
  {
   const J *d = deal(ticket);
   if(!d) return 0;
   switch(p)
     {
      case DEAL_TICKET: return (long)(*d)["ticket"].ul();
      case DEAL_ORDER: return (long)(*d)["order"].ul();
      case DEAL_TIME: return (*d)["time"].lng();
      case DEAL_TIME_MSC: return (*d)["timeMsc"].lng();
      case DEAL_TYPE: return (*d)["type"].lng();
      case DEAL_ENTRY: return (*d)["entry"].lng();
      case DEAL_MAGIC: return (*d)["magic"].lng();
      case DEAL_POSITION_ID: return (long)(*d)["positionId"].ul();
      case DEAL_REASON: return (*d)["reason"].lng();
      default: return 0;
     }
  }
double HistoryDealGetDouble(ulong ticket, ENUM_DEAL_PROPERTY_DOUBLE p)
  {
   const J *d = deal(ticket);
   if(!d) return 0;
   switch(p)
     {
      case DEAL_VOLUME: return (*d)["volume"].num();
      case DEAL_PRICE: return (*d)["price"].num();
      case DEAL_COMMISSION: return (*d)["commission"].num();
      case DEAL_SWAP: return (*d)["swap"].num();
      case DEAL_PROFIT: return (*d)["profit"].num();
      default: return 0;
     }
  }
string HistoryDealGetString(ulong ticket, ENUM_DEAL_PROPERTY_STRING p)
  {
   const J *d = deal(ticket);
   if(!d) return string();
   if(p == DEAL_SYMBOL) return S((*d)["symbol"].str());
   if(p == DEAL_COMMENT) return S((*d)["comment"].str());
   return string();
  }
static std::string request_json(const MqlTradeRequest &q)
  {
   return "{\"action\":" + std::to_string((int)q.action) + ",\"magic\":" + std::to_string(q.magic) + ",\"order\":" + jtick(q.order) +
          ",\"symbol\":" + jstr(u8(q.symbol)) + ",\"volume\":" + jnum(q.volume) + ",\"price\":" + jnum(q.price) +
          ",\"stoplimit\":" + jnum(q.stoplimit) + ",\"sl\":" + jnum(q.sl) + ",\"tp\":" + jnum(q.tp) +
          ",\"deviation\":" + std::to_string(q.deviation) + ",\"type\":" + std::to_string((int)q.type) +
          ",\"type_filling\":" + std::to_string((int)q.type_filling) + ",\"type_time\":" + std::to_string((int)q.type_time) +
          ",\"expiration\":" + std::to_string(q.expiration) + ",\"comment\":" + jstr(u8(q.comment)) +
          ",\"position\":" + jtick(q.position) + ",\"position_by\":" + jtick(q.position_by) + "}";
  }
static bool trade(const char *fn, const MqlTradeRequest &q, MqlTradeResult &r)
  {
   J v = rpc(fn, request_json(q));
   drop_caches();
   g_havePos = g_haveOrder = false;
   r = MqlTradeResult();
   r.retcode = (uint)v["retcode"].lng();
   r.deal = v["deal"].ul();
   r.order = v["order"].ul();
   r.volume = v["volume"].num();
   r.price = v["price"].num();
   r.bid = v["bid"].num();
   r.ask = v["ask"].num();
   r.comment = S(v["comment"].str());
   r.request_id = (uint)v["request_id"].lng();
   r.retcode_external = (int)v["retcode_external"].lng();
   bool ok = r.retcode == TRADE_RETCODE_DONE || r.retcode == TRADE_RETCODE_PLACED || r.retcode == TRADE_RETCODE_DONE_PARTIAL;
   if(!ok) _LastError = 4756;
   return ok;
  }
bool OrderSend(const MqlTradeRequest &q, MqlTradeResult &r) { return trade("orderSend", q, r); }
// Depth-of-market subscriptions: the simulated terminal raises OnBookEvent on a subscribed symbol's quote.
bool MarketBookAdd(const string &symbol)
  {
   J r = rpc("bookAdd", "{\"symbol\":" + jstr(u8(symbol)) + "}");
   return r.truthy();
  }
bool MarketBookRelease(const string &symbol)
  {
   J r = rpc("bookRelease", "{\"symbol\":" + jstr(u8(symbol)) + "}");
   return r.truthy();
  }
bool OrderCheck(const MqlTradeRequest &q, MqlTradeResult &r) { return trade("orderCheck", q, r); }

// ============================================================================================ timer
static long g_timerUs = 0;
static ulong g_nextTimer = 0;
static long g_resolutionUs = 0;
bool EventSetMillisecondTimer(int ms)
  {
   if(ms <= 0) return false;
   g_timerUs = (long)ms * 1000;
   if(g_resolutionUs > g_timerUs) g_timerUs = g_resolutionUs;
   g_nextTimer = now_us() + (ulong)g_timerUs;
   return true;
  }
bool EventSetTimer(int s) { return EventSetMillisecondTimer(s * 1000); }
void EventKillTimer() { g_timerUs = 0; }

// ============================================================================================ main loop
static void fill_tx(const J &e, MqlTradeTransaction &t)
  {
   t = MqlTradeTransaction();
   t.type = (ENUM_TRADE_TRANSACTION_TYPE)e["txType"].lng();
   t.deal = e["deal"].ul();
   t.order = e["order"].ul();
   t.position = e["position"].ul();
   t.symbol = S(e["symbol"].str());
   t.order_type = (ENUM_ORDER_TYPE)e["orderType"].lng();
   t.order_state = (ENUM_ORDER_STATE)e["orderState"].lng();
   t.deal_type = (ENUM_DEAL_TYPE)e["dealType"].lng();
   t.price = e["price"].num();
   t.price_sl = e["sl"].num();
   t.price_tp = e["tp"].num();
   t.volume = e["volume"].num();
  }

// The program's own time in one event handler (terminal calls to the simulated terminal excluded): a test
// reads the longest with its handler's name, to bound how long the program blocks the terminal's thread.
static ulong g_maxHandlerUs = 0;
static std::string g_maxHandler;
static ulong g_maxSleepUs = 0; // the most time one handler spent in Sleep
static unsigned long g_handled[4] = {0, 0, 0, 0}; // OnBookEvent, OnTradeTransaction, OnTick, OnTimer
struct handler_clock
  {
   const char *name;
   ulong t0, rpc0, slept0;
   explicit handler_clock(const char *n) : name(n), t0(now_us()), rpc0(g_rpcUs), slept0(g_sleptUs) {}
   ~handler_clock()
     {
      ulong own = (now_us() - t0) - (g_rpcUs - rpc0);
      if(own > g_maxHandlerUs) { g_maxHandlerUs = own; g_maxHandler = name; }
      if(g_sleptUs - slept0 > g_maxSleepUs) g_maxSleepUs = g_sleptUs - slept0;
     }
  };
static std::string stats_json()
  {
   return ",\"rpcs\":" + std::to_string(g_rpcs) + ",\"maxHandlerUs\":" + std::to_string(g_maxHandlerUs) + ",\"maxHandler\":" + jstr(g_maxHandler) +
          ",\"books\":" + std::to_string(g_handled[0]) + ",\"txs\":" + std::to_string(g_handled[1]) + ",\"ticks\":" + std::to_string(g_handled[2]) +
          ",\"timers\":" + std::to_string(g_handled[3]) + ",\"dropped\":" + std::to_string(g_dropped) +
          ",\"maxSleepUs\":" + std::to_string(g_maxSleepUs) + ",\"maxSocketUs\":" + std::to_string(g_maxSocketUs) + ",\"maxSocketCall\":" + jstr(g_maxSocketCall);
  }

int mqlrt_main(int argc, char **argv, const mqlrt_handlers &h)
  {
   const char *sym = std::getenv("MQLRT_SYMBOL");
   _Symbol = S(sym ? sym : "EURUSD");
   const char *res = std::getenv("MQLRT_TIMER_RESOLUTION_MS");
   if(res) g_resolutionUs = std::atol(res) * 1000;
   (void)argc;
   (void)argv;
   chan_write("{\"n\":\"start\"}");
   int deinitReason = 0;
   if(h.OnStart)
     {
      drop_caches();
      h.OnStart();
      chan_write("{\"n\":\"exit\",\"rpcs\":" + std::to_string(g_rpcs) + "}");
      return 0;
     }
   int rc;
     {
      handler_clock c("OnInit");
      rc = h.OnInit ? h.OnInit() : 0;
     }
   chan_write("{\"n\":\"init\",\"rc\":" + std::to_string(rc) + "}");
   if(rc != 0)
     {
      if(h.OnDeinit) h.OnDeinit(REASON_INITFAILED);
      chan_write("{\"n\":\"exit\",\"rpcs\":" + std::to_string(g_rpcs) + "}");
      return 0;
     }
   while(!g_remove && !_StopFlag)
     {
      int wait = -1;
      if(g_timerUs > 0)
        {
         ulong now = now_us();
         wait = now >= g_nextTimer ? 0 : (int)((g_nextTimer - now + 999) / 1000);
        }
      if(g_events.empty()) chan_events(wait);
      if(g_eof && g_events.empty()) { deinitReason = 9; break; }
      // one event at a time, as the terminal's queue: ticks coalesce (a NewTick is not queued twice)
      bool ticked = false;
      while(!g_events.empty() && !g_remove && !_StopFlag)
        {
         J e = std::move(g_events.front());
         g_events.pop_front();
         std::string kind = e["e"].str();
         drop_caches();
         if(kind == "tick")
           {
            if(ticked) continue;
            bool more = false;
            for(const J &x : g_events) if(x["e"].str() == "tick") { more = true; break; }
            if(more) continue; // a newer tick is queued: handle that one
            ticked = true;
            g_handled[2]++;
            handler_clock c("OnTick");
            if(h.OnTick) h.OnTick();
           }
         else if(kind == "tx")
           {
            if(h.OnTradeTransaction)
              {
               MqlTradeTransaction t;
               fill_tx(e, t);
               MqlTradeRequest q = MqlTradeRequest();
               MqlTradeResult r = MqlTradeResult();
               g_handled[1]++;
               handler_clock c("OnTradeTransaction");
               h.OnTradeTransaction(t, q, r);
              }
            if(h.OnTrade) h.OnTrade();
           }
         else if(kind == "book")
           {
            // unlike NewTick, every change of a book is queued (the program must coalesce)
            g_handled[0]++;
            handler_clock c("OnBookEvent");
            if(h.OnBookEvent) h.OnBookEvent(S(e["symbol"].str()));
           }
         else if(kind == "reinit")
           {
            // the trader changed the inputs: OnDeinit(REASON_PARAMETERS), new inputs, OnInit; globals are kept
            for(const auto &kv : e["inputs"].o) setenv(("MQL_INPUT_" + kv.first).c_str(), kv.second.t == J::STR ? kv.second.s.c_str() : jnum(kv.second.num()).c_str(), 1);
            if(h.OnDeinit) h.OnDeinit(REASON_PARAMETERS);
            reload_inputs();
            int rc2;
              {
               handler_clock c("OnInit");
               rc2 = h.OnInit ? h.OnInit() : 0;
              }
            chan_write("{\"n\":\"init\",\"rc\":" + std::to_string(rc2) + "}");
            if(rc2 != 0) { if(h.OnDeinit) h.OnDeinit(REASON_INITFAILED); g_remove = true; }
           }
         else if(kind == "resetStats") { g_maxHandlerUs = 0; g_maxHandler.clear(); g_maxSocketUs = 0; g_maxSocketCall.clear(); g_maxSleepUs = 0; }
         else if(kind == "stop") { deinitReason = (int)e["reason"].lng(); _StopFlag = true; }
         else if(kind == "ping") chan_write("{\"n\":\"pong\",\"id\":" + jnum(e["id"].num()) + stats_json() + "}");
         if(g_timerUs > 0 && now_us() >= g_nextTimer) break; // let the timer run between events
        }
      if(g_timerUs > 0 && now_us() >= g_nextTimer && !g_remove && !_StopFlag)
        {
         ulong now = now_us();
         g_nextTimer = now + (ulong)g_timerUs; // a late timer is not queued twice
         drop_caches();
         g_handled[3]++;
         handler_clock c("OnTimer");
         if(h.OnTimer) h.OnTimer();
        }
     }
   if(h.OnDeinit) h.OnDeinit(g_remove ? 0 : deinitReason);
   chan_write("{\"n\":\"exit\",\"rpcs\":" + std::to_string(g_rpcs) + "}");
   return 0;
  }
