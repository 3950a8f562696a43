//+------------------------------------------------------------------+
//| MsgPackEcho.mq5 - a test program for the mql-test-harness:        |
//| connects with the EA's WsClient, decodes every binary message     |
//| with the EA's MsgPack decoder and sends it back re-encoded by the |
//| EA's encoder. Not shipped; it exercises the EA's own .mqh files.  |
//+------------------------------------------------------------------+
#property description "Test program: WebSocket + MessagePack echo"

#include <ExecutorBridge/MsgPack.mqh>
#include <ExecutorBridge/WebSocket.mqh>

input int InpPort = 0;

WsClient g_ws;
MpDoc    g_doc;
MpWriter g_out;
uchar    g_msg[];
int      g_echoed = 0;

int OnInit()
  {
   if(!g_ws.Connect("127.0.0.1", InpPort, 1000))
     {
      Print("connect failed: ", g_ws.error);
      return INIT_FAILED;
     }
   uint started = GetTickCount();
   while(g_ws.state == WS_HANDSHAKE && GetTickCount() - started < 2000)
     {
      if(!g_ws.Poll())
         break;
      Sleep(1);
     }
   if(g_ws.state != WS_OPEN)
     {
      Print("handshake failed: ", g_ws.error);
      return INIT_FAILED;
     }
   Print("open");
   EventSetMillisecondTimer(2);
   return INIT_SUCCEEDED;
  }

void OnTimer()
  {
   if(!g_ws.Poll())
     {
      Print("gone: ", g_ws.error);
      ExpertRemove();
      return;
     }
   int n = 0;
   int opcode = 0;
   while(g_ws.Next(g_msg, n, opcode))
     {
      if(opcode != WS_OP_BINARY)
        {
         string text = CharArrayToString(g_msg, 0, n, CP_UTF8);
         if(text == "close-me")
           {
            g_ws.Close(1000, "asked to");
            Print("closed by request after ", g_echoed, " echoes");
            ExpertRemove();
            return;
           }
         continue;
        }
      g_out.Reset();
      if(!g_doc.Parse(g_msg, n))
        {
         uchar err[];
         string why = "ERR " + g_doc.error;
         int k = StringToCharArray(why, err, 0, StringLen(why), CP_UTF8);
         g_ws.SendFrame(WS_OP_TEXT, err, 0, k);
         continue;
        }
      MpCopyNode(g_doc, 0, g_out);
      g_ws.SendBinary(g_out.buf, g_out.len);
      g_echoed++;
     }
   if(g_ws.state == WS_CLOSED)
     {
      Print("gone: ", g_ws.error);
      ExpertRemove();
     }
  }

void OnDeinit(const int reason)
  {
   g_ws.Drop();
  }
