import{r as e,t}from"./chunk-QB3YPZ4I-rKBhvbSG.js";import"./chunk-TU62E6Q5-BkafA5Ov.js";import"./mermaid.core-BfCiIaCg.js";import"./chunk-HFQBQIA3-DUhW_g17.js";import"./chunk-M57EVK23-DJpURWkK.js";import"./chunk-DQASFODM-KAgRubnp.js";import"./chunk-LEVMRMFU-ClecEduf.js";import"./chunk-AXFCVDMN-CjqSOIah.js";import"./chunk-X4PVCEUW-WHUSHN1Y.js";import"./chunk-STOXU5M4-DUWkHWob.js";import"./chunk-R3KSYZAL-QSifJWYb.js";import"./chunk-6MUBBAK2-DzRqxWq7.js";import"./chunk-BG4553SI-CQ102JU8.js";import"./chunk-X3CZISLH-B2HIqWyz.js";import{n}from"./chunk-Y2CYZVJY-DsF7k-Jl.js";var r=t({styles:/* @__PURE__ */ n(t=>`${e(t)}
  .swimlane.cluster:not([data-color-id]) rect {
    stroke: ${t.clusterBorder} !important;
  }
  [data-look="neo"].cluster rect {
    filter: none;
  }
`,`getStyles`)});export{r as diagram};