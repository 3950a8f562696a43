//+------------------------------------------------------------------+
//| Protocol.mqh - the bridge contract between the EA and the host   |
//| GENERATED from src/protocol by tools/compile-mql/gen-protocol.ts. |
//| Do not edit: run `npm run gen:protocol`.                          |
//+------------------------------------------------------------------+
#ifndef EXECUTOR_BRIDGE_PROTOCOL_MQH
#define EXECUTOR_BRIDGE_PROTOCOL_MQH

#define EB_PROTOCOL_VERSION 1
#define EB_MIN_PROTOCOL_VERSION 1
#define EB_MAX_FRAME_BYTES 4194304
#define EB_MAX_HISTORY_BARS 50000
#define EB_MAX_INTENT_ID_LENGTH 24
#define EB_INTENT_COMMENT_PREFIX "ix:"

// message type ids (field "type")
#define EB_MSG_HELLO 1
#define EB_MSG_WELCOME 2
#define EB_MSG_REJECT 3
#define EB_MSG_SUBSCRIBE 4
#define EB_MSG_TICKS 10
#define EB_MSG_BAR 11
#define EB_MSG_HISTORY_REQUEST 20
#define EB_MSG_HISTORY 21
#define EB_MSG_SPEC_REQUEST 22
#define EB_MSG_SPEC 23
#define EB_MSG_SNAPSHOT_REQUEST 24
#define EB_MSG_SNAPSHOT 25
#define EB_MSG_ACCOUNT 26
#define EB_MSG_POSITIONS 27
#define EB_MSG_ORDERS 28
#define EB_MSG_TRADE_TX 30
#define EB_MSG_OPEN 40
#define EB_MSG_PLACE_PENDING 41
#define EB_MSG_CLOSE 42
#define EB_MSG_MODIFY 43
#define EB_MSG_MODIFY_ORDER 44
#define EB_MSG_CANCEL 45
#define EB_MSG_CLOSE_ALL 46
#define EB_MSG_INTENT_RESULT 50
#define EB_MSG_PING 60
#define EB_MSG_PONG 61
#define EB_MSG_ERROR 62

// field keys
#define EB_K_ACCOUNT "account"
#define EB_K_ASK "ask"
#define EB_K_BALANCE "balance"
#define EB_K_BAR "bar"
#define EB_K_BARS "bars"
#define EB_K_BID "bid"
#define EB_K_BUILD "build"
#define EB_K_CALC_MODE "calcMode"
#define EB_K_CLASS "class"
#define EB_K_CODE "code"
#define EB_K_COMMENT "comment"
#define EB_K_COMMISSION "commission"
#define EB_K_COMPANY "company"
#define EB_K_CONTRACT_SIZE "contractSize"
#define EB_K_COUNT "count"
#define EB_K_CREDIT "credit"
#define EB_K_CURRENCY "currency"
#define EB_K_CURRENCY_BASE "currencyBase"
#define EB_K_CURRENCY_DIGITS "currencyDigits"
#define EB_K_CURRENCY_MARGIN "currencyMargin"
#define EB_K_CURRENCY_PROFIT "currencyProfit"
#define EB_K_DEAL "deal"
#define EB_K_DEAL_ENTRY "dealEntry"
#define EB_K_DEAL_TYPE "dealType"
#define EB_K_DEALS "deals"
#define EB_K_DEALS_FROM "dealsFrom"
#define EB_K_DEALS_MORE "dealsMore"
#define EB_K_DEALS_OFFSET "dealsOffset"
#define EB_K_DESCRIPTION "description"
#define EB_K_DEVIATION "deviation"
#define EB_K_DIGITS "digits"
#define EB_K_DUPLICATE "duplicate"
#define EB_K_EA "ea"
#define EB_K_ENTRY "entry"
#define EB_K_EQUITY "equity"
#define EB_K_EXECUTION_MODE "executionMode"
#define EB_K_EXPIRATION "expiration"
#define EB_K_FILLING_MODE "fillingMode"
#define EB_K_FREE_MARGIN "freeMargin"
#define EB_K_FREEZE_LEVEL "freezeLevel"
#define EB_K_FROM "from"
#define EB_K_HEARTBEAT_MS "heartbeatMs"
#define EB_K_ID "id"
#define EB_K_IDENTIFIER "identifier"
#define EB_K_INSTANCE "instance"
#define EB_K_INTENT_ID "intentId"
#define EB_K_LEVERAGE "leverage"
#define EB_K_LOGIN "login"
#define EB_K_MAGIC "magic"
#define EB_K_MARGIN "margin"
#define EB_K_MARGIN_LEVEL "marginLevel"
#define EB_K_MARGIN_MODE "marginMode"
#define EB_K_MAX_FRAME "maxFrame"
#define EB_K_MESSAGE "message"
#define EB_K_NAME "name"
#define EB_K_ONLY_MAGIC "onlyMagic"
#define EB_K_ORDER "order"
#define EB_K_ORDER_STATE "orderState"
#define EB_K_ORDER_TYPE "orderType"
#define EB_K_ORDERS "orders"
#define EB_K_POINT "point"
#define EB_K_POSITION "position"
#define EB_K_POSITION_ID "positionId"
#define EB_K_POSITIONS "positions"
#define EB_K_PRICE "price"
#define EB_K_PRICE_CURRENT "priceCurrent"
#define EB_K_PRICE_OPEN "priceOpen"
#define EB_K_PROFIT "profit"
#define EB_K_PROTOCOL "protocol"
#define EB_K_RE "re"
#define EB_K_REASON "reason"
#define EB_K_RESULTS "results"
#define EB_K_RETCODE "retcode"
#define EB_K_RETCODE_EXTERNAL "retcodeExternal"
#define EB_K_SEQ "seq"
#define EB_K_SERVER "server"
#define EB_K_SERVER_TIME "serverTime"
#define EB_K_SERVER_TIME_OFFSET "serverTimeOffset"
#define EB_K_SESSION_ID "sessionId"
#define EB_K_SESSIONS "sessions"
#define EB_K_SIDE "side"
#define EB_K_SL "sl"
#define EB_K_SPEC "spec"
#define EB_K_STOP_LIMIT "stopLimit"
#define EB_K_STOP_OUT_LEVEL "stopOutLevel"
#define EB_K_STOPS_LEVEL "stopsLevel"
#define EB_K_SWAP "swap"
#define EB_K_SWAP_LONG "swapLong"
#define EB_K_SWAP_MODE "swapMode"
#define EB_K_SWAP_ROLLOVER3_DAYS "swapRollover3Days"
#define EB_K_SWAP_SHORT "swapShort"
#define EB_K_SYMBOL "symbol"
#define EB_K_SYMBOLS "symbols"
#define EB_K_TERMINAL "terminal"
#define EB_K_TICK_SIZE "tickSize"
#define EB_K_TICK_VALUE "tickValue"
#define EB_K_TICKET "ticket"
#define EB_K_TICKS "ticks"
#define EB_K_TIME "time"
#define EB_K_TIME_MSC "timeMsc"
#define EB_K_TIME_SETUP "timeSetup"
#define EB_K_TIMEFRAME "timeframe"
#define EB_K_TOKEN "token"
#define EB_K_TP "tp"
#define EB_K_TRADE_ALLOWED "tradeAllowed"
#define EB_K_TRADE_MODE "tradeMode"
#define EB_K_TS "ts"
#define EB_K_TX_TYPE "txType"
#define EB_K_TYPE "type"
#define EB_K_VOLUME "volume"
#define EB_K_VOLUME_MAX "volumeMax"
#define EB_K_VOLUME_MIN "volumeMin"
#define EB_K_VOLUME_STEP "volumeStep"

// positions in a tick tuple and a bar tuple
#define EB_TICK_TIME_MSC 0
#define EB_TICK_BID 1
#define EB_TICK_ASK 2
#define EB_TICK_LAST 3
#define EB_TICK_VOLUME 4
#define EB_TICK_FLAGS 5
#define EB_TICK_FIELDS 6
#define EB_BAR_TIME 0
#define EB_BAR_OPEN 1
#define EB_BAR_HIGH 2
#define EB_BAR_LOW 3
#define EB_BAR_CLOSE 4
#define EB_BAR_TICK_VOLUME 5
#define EB_BAR_SPREAD 6
#define EB_BAR_REAL_VOLUME 7
#define EB_BAR_FIELDS 8

// result classes (field "class" of INTENT_RESULT)
#define EB_CLASS_DONE "done"
#define EB_CLASS_RETRY "retry"
#define EB_CLASS_FINAL "final"
#define EB_CLASS_AMBIGUOUS "ambiguous"

// REJECT codes
#define EB_REJECT_BAD_TOKEN "BAD_TOKEN"
#define EB_REJECT_VERSION "VERSION"
#define EB_REJECT_BAD_HELLO "BAD_HELLO"
#define EB_REJECT_REPLACED "REPLACED"
#define EB_REJECT_SHUTDOWN "SHUTDOWN"

// ERROR codes (field "code" of ERROR)
#define EB_ERR_MALFORMED "MALFORMED"
#define EB_ERR_UNKNOWN_TYPE "UNKNOWN_TYPE"
#define EB_ERR_TOO_LARGE "TOO_LARGE"
#define EB_ERR_SEQ_GAP "SEQ_GAP"
#define EB_ERR_NOT_FOUND "NOT_FOUND"
#define EB_ERR_UNEXPECTED "UNEXPECTED"
#define EB_ERR_ALREADY_HELLO "ALREADY_HELLO"
#define EB_ERR_WRONG_DIRECTION "WRONG_DIRECTION"

#define EB_TIMEFRAME_COUNT 9
// timeframe names on the wire, index 0..EB_TIMEFRAME_COUNT-1
string EB_TimeframeName(const int index)
  {
   switch(index)
     {
      case 0: return "M1";
      case 1: return "M5";
      case 2: return "M15";
      case 3: return "M30";
      case 4: return "H1";
      case 5: return "H4";
      case 6: return "D1";
      case 7: return "W1";
      case 8: return "MN1";
     }
   return "";
  }

// the MQL5 period of timeframe `index`; PERIOD_CURRENT for none
ENUM_TIMEFRAMES EB_TimeframeEnum(const int index)
  {
   switch(index)
     {
      case 0: return PERIOD_M1;
      case 1: return PERIOD_M5;
      case 2: return PERIOD_M15;
      case 3: return PERIOD_M30;
      case 4: return PERIOD_H1;
      case 5: return PERIOD_H4;
      case 6: return PERIOD_D1;
      case 7: return PERIOD_W1;
      case 8: return PERIOD_MN1;
     }
   return PERIOD_CURRENT;
  }

// the index of a timeframe name on the wire; -1 for none
int EB_TimeframeIndex(const string name)
  {
   for(int i = 0; i < EB_TIMEFRAME_COUNT; i++)
      if(EB_TimeframeName(i) == name)
         return i;
   return -1;
  }

// the protocol's code of an ENUM_SYMBOL_SWAP_MODE (SPEC field swapMode), matched by the MQL5 identifier, so
// the host does not depend on MT5's numbers for the enum; a mode not listed goes as MT5's own number
long EB_SwapModeCode(const long mode)
  {
   if(mode == (long)SYMBOL_SWAP_MODE_DISABLED) return 0;
   if(mode == (long)SYMBOL_SWAP_MODE_POINTS) return 1;
   if(mode == (long)SYMBOL_SWAP_MODE_CURRENCY_SYMBOL) return 2;
   if(mode == (long)SYMBOL_SWAP_MODE_CURRENCY_MARGIN) return 3;
   if(mode == (long)SYMBOL_SWAP_MODE_CURRENCY_DEPOSIT) return 4;
   if(mode == (long)SYMBOL_SWAP_MODE_INTEREST_CURRENT) return 5;
   if(mode == (long)SYMBOL_SWAP_MODE_INTEREST_OPEN) return 6;
   if(mode == (long)SYMBOL_SWAP_MODE_REOPEN_CURRENT) return 7;
   if(mode == (long)SYMBOL_SWAP_MODE_REOPEN_BID) return 8;
   if(mode == (long)SYMBOL_SWAP_MODE_CURRENCY_PROFIT) return 9;
   return mode;
  }

// how the host treats a trade server return code; unknown codes are ambiguous
string EB_RetcodeClass(const uint retcode)
  {
   switch(retcode)
     {
      case 10008:
      case 10009:
      case 10010:
         return EB_CLASS_DONE;
      case 10004:
      case 10020:
      case 10021:
      case 10024:
      case 10028:
         return EB_CLASS_RETRY;
      case 10006:
      case 10007:
      case 10013:
      case 10014:
      case 10015:
      case 10016:
      case 10017:
      case 10018:
      case 10019:
      case 10022:
      case 10023:
      case 10025:
      case 10026:
      case 10027:
      case 10029:
      case 10030:
      case 10032:
      case 10033:
      case 10034:
      case 10035:
      case 10036:
      case 10038:
      case 10039:
      case 10040:
      case 10041:
      case 10042:
      case 10043:
      case 10044:
      case 10045:
      case 10046:
         return EB_CLASS_FINAL;
      case 10011:
      case 10012:
      case 10031:
         return EB_CLASS_AMBIGUOUS;
     }
   return EB_CLASS_AMBIGUOUS;
  }

#endif
