import{r as e,t}from"./chunk-QB3YPZ4I-BggNnnqM.js";import"./chunk-TU62E6Q5-9NjxAX8D.js";import"./mermaid.core-Ri0xqcfb.js";import"./chunk-HFQBQIA3-B8vDLtDH.js";import"./chunk-M57EVK23-DwxhBnJW.js";import"./chunk-DQASFODM-Bx3V74Ax.js";import"./chunk-LEVMRMFU-DPJbS5sP.js";import"./chunk-AXFCVDMN-COJU1HA9.js";import"./chunk-X4PVCEUW-mD8O5_wU.js";import"./chunk-STOXU5M4-X09ehkdU.js";import"./chunk-R3KSYZAL-Cm6FHey7.js";import"./chunk-6MUBBAK2-CmAOa5sd.js";import"./chunk-BG4553SI-DVvTsS_B.js";import"./d3-selection-9EkIfgPE.js";import{n}from"./chunk-Y2CYZVJY-DsF7k-Jl.js";var r=t({styles:/* @__PURE__ */ n(t=>`${e(t)}
  .swimlane.cluster:not([data-color-id]) rect {
    stroke: ${t.clusterBorder} !important;
  }
  [data-look="neo"].cluster rect {
    filter: none;
  }
`,`getStyles`)});export{r as diagram};